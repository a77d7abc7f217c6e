"""Deleting recordings at Twilio (``DELETE /Recordings/{Sid}.json``): those of erased customers and
of calls past retention, or every one of a tenant about to be deleted (``--all-calls``).

Each HTTP call runs with no transaction open and a timeout; a failure is kept on the row and
retried by the next run. A recording Twilio no longer has (404) counts as deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant, utcnow
from ccctl_voice.models import VoiceCall, VoiceRecordingPurge


def queue_recordings(session: Session, tenant_id: int, sids: Iterable[str]) -> int:
    """Queue each recording SID for deletion unless already queued (or done); returns how many were added."""
    wanted = list(dict.fromkeys(sid for sid in sids if sid))
    known: set[str] = set()
    for start in range(0, len(wanted), 500):  # bounded IN lists, whatever the number of calls
        known.update(session.scalars(select(VoiceRecordingPurge.recording_sid).where(
            VoiceRecordingPurge.tenant_id == tenant_id,
            VoiceRecordingPurge.recording_sid.in_(wanted[start:start + 500]))))
    added = [sid for sid in wanted if sid not in known]
    session.add_all(VoiceRecordingPurge(tenant_id=tenant_id, recording_sid=sid) for sid in added)
    return len(added)


def _unqueued_calls(tenant_id: int):
    """The tenant's calls whose recording has no purge row yet (neither queued nor done)."""
    return (VoiceCall.tenant_id == tenant_id, VoiceCall.recording_sid.is_not(None),
            ~exists().where(VoiceRecordingPurge.tenant_id == tenant_id,
                            VoiceRecordingPurge.recording_sid == VoiceCall.recording_sid))


def queue_all_calls(app, tenant: Tenant) -> int:
    """Queue every recording of the tenant's calls (a tenant about to be deleted); returns how many."""
    with app.transaction() as session:
        return queue_recordings(session, tenant.id, session.scalars(
            select(VoiceCall.recording_sid).where(*_unqueued_calls(tenant.id))))


def recordings_left(session: Session, tenant_id: int) -> int:
    """Recordings of the tenant still at Twilio as far as the database knows: queued and not yet deleted,
    plus those of calls never queued."""
    queued = session.scalar(select(func.count()).select_from(VoiceRecordingPurge).where(
        VoiceRecordingPurge.tenant_id == tenant_id, VoiceRecordingPurge.done_at.is_(None)))
    unqueued = session.scalar(select(func.count(VoiceCall.recording_sid.distinct())).where(
        *_unqueued_calls(tenant_id)))
    return queued + unqueued


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
