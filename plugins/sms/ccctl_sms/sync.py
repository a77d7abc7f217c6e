"""``ccctl sms sync``: poll the provider for delivery statuses not final yet."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import click
from sqlalchemy import select

from ccctl_sms.backends import SendError, make_backend
from ccctl_sms.config import sms_config
from ccctl_sms.models import SENT, SmsMessage
from ccctl_sms.outbox import FINAL_STATUSES, record_status


def sync_statuses(app, tenants, concurrency: int = 16) -> dict[str, int]:
    counts = {"checked": 0, "changed": 0, "errors": 0}
    for tenant in tenants:
        backend = make_backend(sms_config(tenant))
        with app.session() as session:
            todo = session.execute(select(SmsMessage.provider_sid, SmsMessage.delivery_status).where(
                SmsMessage.tenant_id == tenant.id, SmsMessage.state == SENT, SmsMessage.provider_sid.is_not(None),
                SmsMessage.delivery_status.not_in(FINAL_STATUSES) | SmsMessage.delivery_status.is_(None))).all()

        def fetch(sid, backend=backend):
            try:
                return sid, backend.fetch(sid)
            except SendError as exc:
                return sid, exc

        with ThreadPoolExecutor(concurrency) as pool, click.progressbar(
                pool.map(fetch, [sid for sid, _ in todo]), length=len(todo),
                label=f"Polling {tenant.slug}", file=sys.stderr) as results:
            found = list(results)
        before = dict(todo)
        with app.session() as session:
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            for sid, answer in found:
                counts["checked"] += 1
                if isinstance(answer, SendError):
                    counts["errors"] += 1
                    continue
                status, code, message = answer
                row = record_status(session, tenant, sid, status, code, message, ctx=app.context(session, tenant))
                counts["changed"] += row is not None and row.delivery_status != before[sid]
            session.commit()
    return counts
