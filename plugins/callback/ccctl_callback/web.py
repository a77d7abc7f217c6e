"""HTTP routes under /t/<tenant>: the call-back form (only open slots) and the Twilio status webhook.

Imported only by ``ccctl serve`` (through ``ccctl_register_routes``), never at CLI start-up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ccctl.context import TenantContext

FORM_PATH = "/callback"
STATUS_ROUTE = "/callback/twilio/status/{attempt_id:int}"
JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
# Query parameters of the embedding page kept as the request's context.
CONTEXT_PARAMS = ("page", "title", "utm_source", "utm_medium", "utm_campaign", "form")
MAX_SHOWN_SLOTS = 400


def register_routes(register) -> None:
    register(FORM_PATH, callback_form, methods=("GET", "POST"), name="callback-form")
    register(STATUS_ROUTE, twilio_status, methods=("POST",), name="callback-twilio-status")


@lru_cache(maxsize=1)
def _templates():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html"]))


def _render(template: str, status: int = 200, **values) -> HTMLResponse:
    return HTMLResponse(_templates().get_template(template).render(**values), status_code=status)


# -- form keys: a signed random key per rendered form; it is also the request's idempotency key,
#    so a double submit books one seat.
def _sign(secret: str, tenant: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"callback:{tenant}:{nonce}".encode(), hashlib.sha256).hexdigest()[:24]


def new_form_key(secret: str, tenant: str) -> str:
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_sign(secret, tenant, nonce)}"


def valid_form_key(secret: str, tenant: str, key: str) -> bool:
    nonce, _, signature = key.partition(".")
    return bool(nonce) and hmac.compare_digest(signature, _sign(secret, tenant, nonce))


def callback_form(request: Request) -> Response:
    """GET: the form with the open slots. POST: take the request, or show the form again with the error."""
    from ccctl.web.scope import tenant_scope

    with tenant_scope(request) as ctx:
        if request.method == "GET":
            values = {name: request.query_params.get(name, "") for name in CONTEXT_PARAMS}
            values["ref"] = request.query_params.get("ref", "")
            if not values["page"]:
                values["page"] = request.headers.get("referer", "")
            return _form_page(request, ctx, values)
        return _submit(request, ctx)


def _form_page(request: Request, ctx: TenantContext, values: dict, error: str | None = None,
               status: int = 200) -> Response:
    from ccctl.db.models import utcnow
    from ccctl_callback.requests import enabled_config, is_open_now
    from ccctl_callback.slots import local_zone, open_slots

    cfg = enabled_config(ctx.tenant)
    now = utcnow()
    zone = local_zone(ctx.tenant)
    days: dict[str, list[dict]] = {}
    for slot in open_slots(ctx.session, ctx.tenant, cfg, now, limit=MAX_SHOWN_SLOTS):
        local = slot.start.astimezone(zone)
        label = f"{JOURS[local.weekday()]} {local:%d/%m}"
        days.setdefault(label, []).append({"value": slot.start.isoformat(), "label": f"{local:%H:%M}"})
    return _render("callback_form.html", status, tenant_name=ctx.tenant.name, error=error, values=values,
                   key=new_form_key(request.app.state.settings.secret, ctx.tenant.slug),
                   days=list(days.items()), open_now=is_open_now(ctx.tenant, cfg, now))


def _submit(request: Request, ctx: TenantContext) -> Response:
    from ccctl.errors import DomainError, InputError
    from ccctl_callback.requests import RequestInput, create_request, describe_when, write_transaction
    from ccctl_callback.slots import parse_slot

    form = request.state.form
    if form is None:
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded or multipart/form-data")
    values = {k: str(form.get(k, "") or "") for k in (*CONTEXT_PARAMS, "ref", "phone", "name", "reason",
                                                       "when", "slot")}
    key = str(form.get("key", ""))
    if not valid_form_key(request.app.state.settings.secret, ctx.tenant.slug, key):
        raise HTTPException(400, "this form has expired or was not made by this site: reload the page")
    context = {k: values[k] for k in CONTEXT_PARAMS if values[k]}
    context["via"] = "web form"
    try:
        if values["when"] == "now":
            slot = None
        elif not values["slot"]:
            raise InputError("choisissez un créneau (choose a slot)")
        else:
            slot = parse_slot(values["slot"], ctx.tenant)
        write_transaction(ctx.session)
        data = RequestInput(phone=values["phone"], name=values["name"], reason=values["reason"], slot=slot,
                            context=context, referral_code=values["ref"] or None, source="web", ref=key)
        callback_request, _created = create_request(ctx, data)
    except DomainError as exc:
        ctx.session.rollback()
        status = 400 if isinstance(exc, InputError) else 409
        return _form_page(request, ctx, values, error=exc.message, status=status)
    when = describe_when(ctx.tenant, callback_request)
    return _render("callback_done.html", tenant_name=ctx.tenant.name, name=callback_request.name,
                   phone=callback_request.phone, request_id=callback_request.id,
                   when=None if callback_request.slot_start is None else when.removeprefix("at "))


def twilio_status(request: Request) -> Response:
    """Twilio's status callbacks for both legs of a call-back (signature checked, replays refused)."""
    from ccctl.config.secrets import resolve_secret
    from ccctl.web.scope import tenant_scope
    from ccctl.web.twilio import verify_twilio
    from ccctl_callback.config import callback_config
    from ccctl_callback.dialer import apply_status
    from ccctl_callback.models import CallbackAttempt

    with tenant_scope(request) as ctx:
        token = resolve_secret(callback_config(ctx.tenant).twilio.auth_token, "plugins.callback.twilio.auth_token")
        params = verify_twilio(request, ctx, token)
        attempt = ctx.session.get(CallbackAttempt, request.path_params["attempt_id"])
        if attempt is None or attempt.tenant_id != ctx.tenant.id:
            raise HTTPException(404, "no such call-back attempt")
        leg = request.query_params.get("leg", "customer")
        if leg not in ("agent", "customer"):
            raise HTTPException(400, "leg must be agent or customer")
        apply_status(ctx, attempt, leg, params)
    return Response("<Response/>", media_type="application/xml")
