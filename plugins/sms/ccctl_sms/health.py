"""The sms plugin's checks for ``ccctl status``: provider reachable, outbox backlog, stuck rows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ccctl.db.models import utcnow
from ccctl_sms.models import FAILED, PENDING, SENDING, SmsMessage

LATE_AFTER = timedelta(minutes=15)   # a due message older than this: the dispatcher is not running or failing


def tenant_status(app, tenant, report) -> None:
    from ccctl_sms.backends import SendError, make_backend
    from ccctl_sms.config import sms_config
    from ccctl_sms.dispatch import STALE_AFTER

    now = utcnow()
    with app.session() as session:
        mine = SmsMessage.tenant_id == tenant.id
        due, oldest = session.execute(select(func.count(SmsMessage.id), func.min(SmsMessage.next_attempt_at)).where(
            mine, SmsMessage.state == PENDING, SmsMessage.next_attempt_at <= now)).one()
        retrying = session.scalar(select(func.count(SmsMessage.id)).where(
            mine, SmsMessage.state == PENDING, SmsMessage.error.is_not(None))) or 0
        stuck = session.scalar(select(func.count(SmsMessage.id)).where(
            mine, SmsMessage.state == SENDING, SmsMessage.claimed_at < now - timedelta(seconds=STALE_AFTER))) or 0
        failed = session.scalar(select(func.count(SmsMessage.id)).where(
            mine, SmsMessage.state == FAILED, SmsMessage.created_at >= now - timedelta(days=1))) or 0
    late = oldest is not None and now - oldest > LATE_AFTER
    detail = f"{due} due, {retrying} waiting for a retry, {failed} failed in 24 h"
    if late:
        detail += f"; oldest due since {oldest:%Y-%m-%d %H:%M} UTC (is `ccctl sms dispatch` running?)"
    report("sms outbox", not late, detail, due=due, retrying=retrying, failed_24h=failed)
    report("sms stuck", not stuck, f"{stuck} message(s) 'sending' for over {int(STALE_AFTER)} s" if stuck
           else "none", stuck=stuck)
    try:
        config = sms_config(tenant)
        backend = make_backend(config)
    except Exception as exc:  # noqa: BLE001 - a missing secret is reported by name
        report("sms provider", False, str(getattr(exc, "message", exc)))
        return
    if not report.probe or not hasattr(backend, "probe"):
        report("sms provider", True, f"{config.backend} backend" + ("" if report.probe else ", not probed"))
        return
    try:
        backend.probe()
    except SendError as exc:
        report("sms provider", False, exc.reason)
        return
    report("sms provider", True, f"{config.backend} reachable, credentials accepted")
