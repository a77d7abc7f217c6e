"""``ccctl sms sync``: poll the provider for delivery statuses not final yet, one tenant at a time.

The HTTP requests run with no database transaction open; the answers are recorded afterwards
in one short write transaction.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import click
from sqlalchemy import select

from ccctl.errors import CcctlError
from ccctl_sms.backends import SendError, make_backend
from ccctl_sms.config import sms_config
from ccctl_sms.models import SENT, SmsMessage
from ccctl_sms.outbox import FINAL_STATUSES, record_status


def sync_tenant(app, tenant, concurrency: int = 16, progress: bool = True) -> dict:
    """Fetch and record the status of the tenant's sent messages; raises CcctlError when the
    provider refuses the credentials (nothing recorded then)."""
    counts = {"checked": 0, "changed": 0, "errors": 0, "last_error": None}
    backend = make_backend(sms_config(tenant))
    with app.session() as session:
        todo = session.execute(select(SmsMessage.provider_sid, SmsMessage.delivery_status).where(
            SmsMessage.tenant_id == tenant.id, SmsMessage.state == SENT, SmsMessage.provider_sid.is_not(None),
            SmsMessage.delivery_status.not_in(FINAL_STATUSES) | SmsMessage.delivery_status.is_(None))).all()

    def fetch(sid):
        try:
            return sid, backend.fetch(sid)
        except SendError as exc:
            return sid, exc

    with ThreadPoolExecutor(concurrency) as pool, click.progressbar(
            pool.map(fetch, [sid for sid, _ in todo]), length=len(todo), hidden=not progress,
            label=f"Polling {tenant.slug}", file=sys.stderr) as results:
        found = list(results)
    fatal = next((a for _, a in found if isinstance(a, SendError) and a.kind == "fatal"), None)
    if fatal is not None:
        raise CcctlError(fatal.reason)
    before = dict(todo)
    with app.session() as session:
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        for sid, answer in found:
            counts["checked"] += 1
            if isinstance(answer, SendError):
                counts["errors"] += 1
                counts["last_error"] = answer.reason
                continue
            status, code, message = answer
            row = record_status(session, tenant, sid, status, code, message, ctx=app.context(session, tenant))
            counts["changed"] += row is not None and row.delivery_status != before[sid]
        session.commit()
    return counts
