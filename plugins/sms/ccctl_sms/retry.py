"""``ccctl sms retry``: failed messages back to pending, without breaking exactly-once.

A failed row never owns a provider message (``provider_sid`` is empty), and a row whose last
attempt may have reached the provider keeps its ``reconcile_since``: the dispatcher searches
the provider's log before sending it again. The change is one conditional UPDATE per row
(``state = 'failed'``), so a retry racing a dispatcher or another retry changes a row once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant, utcnow
from ccctl.errors import InputError
from ccctl_sms.models import BLOCKED, FAILED, PENDING, SmsMessage, SmsOptOut


def parse_since(text: str | None, zone: str):
    """``6h``/``30m``/``2d`` ago, or an ISO 8601 date-time (the tenant's zone without offset)."""
    from ccctl.config.model import parse_duration
    from ccctl_sms.schedule import parse_when

    if not text:
        return None
    try:
        return utcnow() - timedelta(minutes=parse_duration(text))
    except ValueError:
        return parse_when(text, zone, "--since")


def requeue(session: Session, tenant: Tenant, ids: list[int] | None = None, since: str | None = None) -> dict:
    query = select(SmsMessage).where(SmsMessage.tenant_id == tenant.id)
    if ids:
        query = query.where(SmsMessage.id.in_(ids))
    else:
        query = query.where(SmsMessage.state == FAILED)
        moment = parse_since(since, tenant.timezone)
        if moment is not None:
            query = query.where(SmsMessage.created_at >= moment)
    rows = list(session.scalars(query.order_by(SmsMessage.id)))
    if ids:
        missing = sorted(set(ids) - {r.id for r in rows})
        if missing:
            raise InputError(f"no SMS {', '.join(map(str, missing))} for tenant {tenant.slug}")
        not_failed = [f"{r.id} is {r.state}" for r in rows if r.state != FAILED]
        if not_failed:
            raise InputError("only failed messages can be retried: " + ", ".join(not_failed))
    opted = set(session.scalars(select(SmsOptOut.number).where(
        SmsOptOut.tenant_id == tenant.id, SmsOptOut.number.in_({r.to_number for r in rows}))))
    now, requeued, blocked = utcnow(), [], []
    for row in rows:
        guard = update(SmsMessage).where(SmsMessage.id == row.id, SmsMessage.state == FAILED,
                                         SmsMessage.provider_sid.is_(None))
        if row.to_number in opted:
            if session.execute(guard.values(state=BLOCKED, error="the number opted out (STOP)")).rowcount:
                blocked.append(row.id)
            continue
        changed = session.execute(guard.values(
            state=PENDING, next_attempt_at=now, first_attempt_at=None, attempt_id=None, claimed_by=None,
            error=f"retried by hand after: {row.error or 'failure'}"[:2000])).rowcount
        if changed:
            requeued.append(row.id)
    return {"tenant": tenant.slug, "requeued": len(requeued), "blocked": len(blocked), "ids": requeued}
