"""Twilio webhooks under ``/t/<tenant>/sms/``: delivery status callbacks and inbound messages.

Both check ``X-Twilio-Signature`` (and refuse replays) before touching anything. Inbound
STOP/ARRET/UNSUBSCRIBE... opt the number out for this tenant, START/UNSTOP opt it back in;
any other text becomes an interaction in the customer's history and a queue item.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _verified(request: Request, ctx):
    from ccctl.config.secrets import resolve_secret
    from ccctl.web.twilio import verify_twilio
    from ccctl_sms.config import sms_config

    config = sms_config(ctx.tenant)
    token = resolve_secret(config.auth_token, "plugins.sms.auth_token") if config.auth_token else ""
    return as_params(verify_twilio(request, ctx, token))


def as_params(signed) -> dict:
    """The signed parameters as a mapping: a form stays a form; a JSON body (signed with
    ``?bodySHA256=``) must be a JSON object, else 400."""
    import json

    if not isinstance(signed, str):
        return signed
    try:
        data = json.loads(signed) if signed.strip() else {}
    except ValueError:
        raise HTTPException(400, "the JSON body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the JSON body must be an object")
    return {str(k): "" if v is None else str(v) for k, v in data.items()}


def status_callback(request: Request) -> Response:
    """Twilio's message status callback: ``MessageSid``, ``MessageStatus``, ``ErrorCode``; ``?o=&a=`` are ours."""
    from ccctl.web.scope import tenant_scope
    from ccctl_sms.outbox import record_status

    with tenant_scope(request) as ctx:
        params = _verified(request, ctx)
        sid, status = params.get("MessageSid"), params.get("MessageStatus") or params.get("SmsStatus")
        if not sid or not status:
            raise HTTPException(400, "MessageSid and MessageStatus are required")
        code = params.get("ErrorCode")
        try:
            outbox_id = int(request.query_params.get("o", ""))
        except ValueError:
            outbox_id = None
        record_status(ctx.session, ctx.tenant, sid, status, int(code) if code and code.isdigit() else None,
                      outbox_id=outbox_id, attempt_id=request.query_params.get("a"), ctx=ctx)
    return Response(EMPTY_TWIML, media_type="application/xml")


def inbound(request: Request) -> Response:
    """Twilio's incoming-message webhook (configure it on the number or messaging service)."""
    from ccctl.web.scope import tenant_scope
    from ccctl_sms.inbound import receive

    with tenant_scope(request) as ctx:
        params = _verified(request, ctx)
        if not params.get("From") or not params.get("MessageSid"):
            raise HTTPException(400, "From and MessageSid are required")
        receive(ctx, params["From"], params.get("Body", ""), params["MessageSid"], params.get("To", ""))
    return Response(EMPTY_TWIML, media_type="application/xml")
