"""HTTP routes under /t/<tenant>: the call-back form (only open slots) and the Twilio status webhook.

Imported only by ``ccctl serve`` (through ``ccctl_register_routes``), never at CLI start-up.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ccctl.context import TenantContext
from ccctl.i18n import N_

FORM_PATH = "/callback"
STATUS_ROUTE = "/callback/twilio/status/{attempt_id:int}"
TEMPLATES = Path(__file__).parent / "templates"
DAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
             N_("Sunday"))
# Query parameters of the embedding page kept as the request's context.
CONTEXT_PARAMS = ("page", "title", "utm_source", "utm_medium", "utm_campaign", "form")
MAX_SHOWN_SLOTS = 400
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")
EXPIRED = N_("Your session expired (or cookies are blocked): check the form and send it again.")
NO_SLOT = N_("Please choose a slot.")
BAD_PHONE = N_("This is not a valid phone number.")
DOMAIN = "ccctl_callback"


def register_routes(register) -> None:
    register(FORM_PATH, callback_form, methods=("GET", "POST"), name="callback-form")
    register(STATUS_ROUTE, twilio_status, methods=("POST",), name="callback-twilio-status")


def _page(request: Request, template: str, status: int = 200, **values) -> Response:
    """Through core's page kit: its CSP, nosniff, no framing, and ``{{ csrf_token }}``."""
    from ccctl.web.pages import page_kit

    return page_kit(TEMPLATES).page(request, template, values, status=status)


def request_ref(request: Request, submission_id: str) -> str:
    """The idempotency key of a posted form: a double submit books one seat. Bound to the visitor's
    CSRF cookie, so another visitor who learnt a submission id cannot reach that booking."""
    from ccctl.web import csrf

    digest = hashlib.sha256(f"{csrf.cookie_value(request)}:{submission_id}".encode()).hexdigest()
    return f"web-{digest[:40]}"


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

    from ccctl.i18n import translate, translator
    from ccctl.web.pages import page_locale

    t = translator(page_locale(request), DOMAIN)
    cfg = enabled_config(ctx.tenant)
    now = utcnow()
    zone = local_zone(ctx.tenant)
    days: dict[str, list[dict]] = {}
    for slot in open_slots(ctx.session, ctx.tenant, cfg, now, limit=MAX_SHOWN_SLOTS):
        local = slot.start.astimezone(zone)
        label = f"{translate(DAY_NAMES[local.weekday()], t)} {local:%d/%m}"
        days.setdefault(label, []).append({"value": slot.start.isoformat(), "label": f"{local:%H:%M}"})
    submission = values.get("submission_id") or ""
    return _page(request, "callback_form.html", status, tenant_name=ctx.tenant.name, values=values,
                 error=None if error is None else translate(error, t),
                 submission_id=submission if SUBMISSION.match(submission) else uuid.uuid4().hex,
                 days=list(days.items()), open_now=is_open_now(ctx.tenant, cfg, now))


def _submit(request: Request, ctx: TenantContext) -> Response:
    from ccctl.contacts import normalize_phone
    from ccctl.errors import DomainError, InputError
    from ccctl.web.pages import csrf_ok
    from ccctl_callback.requests import RequestInput, create_request, write_transaction
    from ccctl_callback.slots import parse_slot

    form = request.state.form
    if form is None:
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded or multipart/form-data")
    values = {k: str(form.get(k, "") or "") for k in (*CONTEXT_PARAMS, "ref", "phone", "name", "reason",
                                                       "when", "slot", "submission_id")}
    if not csrf_ok(request, form):
        # A cross-site post or a lost cookie: nothing booked, no SMS; the form again with a fresh token.
        return _form_page(request, ctx, values, error=EXPIRED, status=403)
    submission = values["submission_id"].strip().lower()
    if not SUBMISSION.match(submission):
        return _form_page(request, ctx, {**values, "submission_id": ""}, error=EXPIRED, status=400)
    context = {k: values[k] for k in CONTEXT_PARAMS if values[k]}
    context["via"] = "web form"
    try:
        normalize_phone(values["phone"], ctx.tenant.default_region)
    except InputError:  # the operator's message names the region; the visitor gets the plain one
        return _form_page(request, ctx, values, error=BAD_PHONE, status=400)
    try:
        if values["when"] == "now":
            slot = None
        elif not values["slot"]:
            raise InputError(NO_SLOT)
        else:
            slot = parse_slot(values["slot"], ctx.tenant)
        write_transaction(ctx.session)
        data = RequestInput(phone=values["phone"], name=values["name"], reason=values["reason"], slot=slot,
                            context=context, referral_code=values["ref"] or None, source="web",
                            ref=request_ref(request, submission))
        callback_request, _created = create_request(ctx, data)
    except DomainError as exc:
        ctx.session.rollback()
        status = 400 if isinstance(exc, InputError) else 409
        return _form_page(request, ctx, values, error=getattr(exc, "message", str(exc)), status=status)
    return _page(request, "callback_done.html", tenant_name=ctx.tenant.name, name=callback_request.name,
                   phone=callback_request.phone, request_id=callback_request.id,
                   when=_when(request, ctx, callback_request.slot_start))


def _when(request: Request, ctx: TenantContext, start) -> str | None:
    """The booked slot for the visitor: day name in the tenant's language, local time, zone named."""
    from ccctl.i18n import translate, translator
    from ccctl.web.pages import page_locale
    from ccctl_callback.slots import local_zone

    if start is None:
        return None
    local = start.astimezone(local_zone(ctx.tenant))
    day = translate(DAY_NAMES[local.weekday()], translator(page_locale(request), DOMAIN))
    return f"{day} {local:%d/%m %H:%M %Z}"


def twilio_status(request: Request) -> Response:
    """Twilio's status callbacks for both legs of a call-back (signature checked, replays refused)."""
    from ccctl.web.scope import tenant_scope
    from ccctl.web.twilio import verify_twilio
    from ccctl_callback.dialer import apply_status
    from ccctl_callback.models import CallbackAttempt

    with tenant_scope(request) as ctx:
        token = _auth_token(ctx)
        params = verify_twilio(request, ctx, token)
        attempt = ctx.session.get(CallbackAttempt, request.path_params["attempt_id"])
        if attempt is None or attempt.tenant_id != ctx.tenant.id:
            raise HTTPException(404, "no such call-back attempt")
        leg = request.query_params.get("leg", "customer")
        if leg not in ("agent", "customer"):
            raise HTTPException(400, "leg must be agent or customer")
        apply_status(ctx, attempt, leg, params)
    return Response("<Response/>", media_type="application/xml")


def _auth_token(ctx: TenantContext) -> str:
    """The tenant's Twilio token; '' when its secret is unset, so the request is refused (403), not a 500."""
    import logging

    from ccctl.config.secrets import resolve_secret
    from ccctl.errors import CcctlError
    from ccctl_callback.config import callback_config

    try:
        return resolve_secret(callback_config(ctx.tenant).twilio.auth_token, "plugins.callback.twilio.auth_token")
    except CcctlError as exc:
        logging.getLogger("ccctl.callback").warning("tenant %s: %s", ctx.tenant.slug, exc.message)
        return ""
