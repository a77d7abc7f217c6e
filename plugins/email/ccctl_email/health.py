"""The email plugin's checks for ``ccctl status``: outgoing mail waiting or failed, quarantined mail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ccctl.db.models import utcnow
from ccctl_email.models import OutboundMail, QuarantinedMail

LATE_AFTER = timedelta(minutes=30)


def tenant_status(app, tenant, report) -> None:
    now = utcnow()
    with app.session() as session:
        queued, oldest = session.execute(select(func.count(OutboundMail.id), func.min(OutboundMail.created_at)).where(
            OutboundMail.tenant_id == tenant.id, OutboundMail.status == "queued")).one()
        failed = session.scalar(select(func.count(OutboundMail.id)).where(
            OutboundMail.tenant_id == tenant.id, OutboundMail.status == "failed")) or 0
        quarantined = session.scalar(select(func.count(QuarantinedMail.id)).where(
            QuarantinedMail.tenant_id == tenant.id)) or 0
    late = oldest is not None and now - oldest > LATE_AFTER
    report("mail outbox", not late and not failed,
           f"{queued} queued, {failed} failed" + (f"; oldest queued since {oldest:%Y-%m-%d %H:%M} UTC" if late else ""),
           queued=queued, failed=failed)
    report("mail quarantine", True, f"{quarantined} message(s) quarantined (ccctl email quarantine list)",
           quarantined=quarantined)
