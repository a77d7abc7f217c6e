"""Deleting erased customers' recordings at Twilio (``DELETE /Recordings/{Sid}.json``).

Each HTTP call runs with no transaction open and a timeout; a failure is kept on the row and
retried by the next run. A recording Twilio no longer has (404) counts as deleted.
"""

from __future__ import annotations

from sqlalchemy import select

from ccctl.db.models import Tenant, utcnow
from ccctl_voice.models import VoiceRecordingPurge


def purge_tenant(app, tenant: Tenant) -> tuple[int, list[str]]:
    """(recordings deleted, errors) for one tenant."""
    from twilio.base.exceptions import TwilioException, TwilioRestException

    from ccctl_voice.config import enabled_voice_config
    from ccctl_voice.connect import twilio_client

    with app.session() as session:
        pending = list(session.scalars(select(VoiceRecordingPurge).where(
            VoiceRecordingPurge.tenant_id == tenant.id, VoiceRecordingPurge.done_at.is_(None))
            .order_by(VoiceRecordingPurge.id)))
    if not pending:
        return 0, []
    client = twilio_client(enabled_voice_config(tenant), tenant.slug)
    done, errors = 0, []
    for row in pending:
        error = None
        try:
            client.recordings(row.recording_sid).delete()
        except TwilioRestException as exc:
            if exc.status != 404:
                error = f"Twilio refused: {exc.msg} (error {exc.code}, HTTP {exc.status})"
        except (TwilioException, OSError) as exc:
            error = f"Twilio could not be reached: {exc}"
        with app.transaction() as session:
            stored = session.get(VoiceRecordingPurge, row.id)
            stored.done_at, stored.last_error = (None, error[:500]) if error else (utcnow(), None)
        if error:
            errors.append(f"recording {row.recording_sid}: {error}")
        else:
            done += 1
    return done, errors
