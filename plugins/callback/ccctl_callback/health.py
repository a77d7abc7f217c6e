"""The callback plugin's checks for ``ccctl status``: Twilio reachable, attempts never settled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ccctl.db.models import utcnow
from ccctl_callback.models import CallbackAttempt

UNSETTLED_AFTER = timedelta(hours=1)   # a Twilio call with no outcome by then lost its callbacks


def tenant_status(app, tenant, report) -> None:
    from ccctl_callback.config import callback_config

    since = utcnow() - UNSETTLED_AFTER
    with app.session() as session:
        unsettled = session.scalar(select(func.count(CallbackAttempt.id)).where(
            CallbackAttempt.tenant_id == tenant.id, CallbackAttempt.mode == "twilio",
            CallbackAttempt.outcome.is_(None), CallbackAttempt.started_at < since)) or 0
    report("callback attempts", not unsettled,
           f"{unsettled} Twilio call(s) with no outcome after {UNSETTLED_AFTER} (record one with --manual)"
           if unsettled else "every Twilio call settled", unsettled=unsettled)
    cfg = callback_config(tenant)
    if not (cfg.twilio and cfg.twilio.account_sid):
        return
    try:
        from ccctl_callback.dialer import twilio_client

        client = twilio_client(cfg)
    except Exception as exc:  # noqa: BLE001 - a missing secret, named
        report("callback twilio", False, str(getattr(exc, "message", exc)))
        return
    if not report.probe:
        report("callback twilio", True, "not probed")
        return
    from ccctl.twilio_api import http_error

    try:
        client.calls.list(limit=1, page_size=1)
    except Exception as exc:  # noqa: BLE001
        report("callback twilio", False, http_error(exc)[2])
        return
    report("callback twilio", True, "reachable, credentials accepted")
