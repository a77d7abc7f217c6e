"""Taking a call-back request: check it, book a seat, make the queue item, confirm by SMS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccctl.context import TenantContext
from ccctl.db.models import Tenant, utcnow
from ccctl.errors import CcctlError, InputError
from ccctl.i18n import N_
from ccctl_callback.config import CallbackConfig, callback_config
from ccctl_callback.models import CallbackRequest
from ccctl_callback.slots import check_slot, full_error, local_zone, next_open_time, slot_hours, take_seat, within

CHANNEL = "callback"
LIMITS = {"name": 200, "reason": 2000, "referral_code": 100}


@dataclass
class RequestInput:
    """One call-back request as the CLI, a batch line or the web form gives it."""

    phone: str
    name: str = ""
    reason: str = ""
    slot: datetime | None = None  # None: call me now
    context: dict[str, Any] = field(default_factory=dict)
    referral_code: str | None = None
    source: str = "cli"
    ref: str | None = None  # idempotency key; a fresh one when None
    consent: bool = True  # the person asked for this call


def enabled_config(tenant: Tenant) -> CallbackConfig:
    cfg = callback_config(tenant)
    if not cfg.enabled:
        raise CcctlError(f"the callback plugin is not enabled for tenant {tenant.slug} "
                         "(plugins.callback.enabled in its YAML)")
    return cfg


def write_transaction(session: Session) -> None:
    """Start a transaction that holds SQLite's write lock from its first statement.

    A deferred SQLite transaction that read first cannot later take the write lock once
    another writer committed, so bookings begin IMMEDIATE (a no-op on PostgreSQL).
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def find_request(session: Session, tenant: Tenant, ref: str) -> CallbackRequest | None:
    return session.scalar(select(CallbackRequest).where(
        CallbackRequest.tenant_id == tenant.id, CallbackRequest.ref == ref))


def _check_text(data: RequestInput) -> None:
    for key, limit in LIMITS.items():
        value = getattr(data, key) or ""
        if len(value) > limit:
            raise InputError(f"{key} is too long ({len(value)} characters, at most {limit})")
    if not isinstance(data.context, dict):
        raise InputError("context must be a JSON object, e.g. {\"page\": \"https://...\"}")


def create_request(ctx: TenantContext, data: RequestInput, now: datetime | None = None) -> tuple[CallbackRequest, bool]:
    """Store a request (or return the one with the same ``ref``): (request, created).

    Bad phone, closed, past or too-near slot → InputError (exit 2); full slot → CcctlError (exit 1).
    The caller owns the transaction; start it with :func:`write_transaction`.
    """
    from ccctl.contacts import normalize_phone

    session, tenant = ctx.session, ctx.tenant
    cfg = enabled_config(tenant)
    now = now or utcnow()
    phone = normalize_phone(data.phone, tenant.default_region)
    _check_text(data)
    if data.ref:
        existing = find_request(session, tenant, data.ref)
        if existing is not None:
            return existing, False
    if data.slot is None:
        _check_open_now(tenant, cfg, now)
    else:
        check_slot(session, tenant, cfg, data.slot, now)
    try:
        with session.begin_nested():
            if data.slot is not None and not take_seat(session, tenant, data.slot, cfg.capacity):
                raise full_error(session, tenant, cfg, data.slot, now)
            request = _store(ctx, cfg, data, phone, now)
    except IntegrityError:
        # The same ref was stored a moment ago by a concurrent call: the savepoint undid our seat.
        # Kept on purpose: the seat, the item and the request are several rows, and ON CONFLICT
        # on the request's INSERT alone could not take back the seat and item made before it.
        existing = find_request(session, tenant, data.ref) if data.ref else None
        if existing is None:
            raise
        return existing, False
    _confirm_by_sms(ctx, request)
    return request, True


def is_open_now(tenant: Tenant, cfg: CallbackConfig, now: datetime) -> bool:
    from ccctl_callback.slots import holiday_name

    zone = local_zone(tenant)
    return within(slot_hours(tenant, cfg), now, zone) and not holiday_name(tenant, now.astimezone(zone).date())


def _check_open_now(tenant: Tenant, cfg: CallbackConfig, now: datetime) -> None:
    if is_open_now(tenant, cfg, now):
        return
    opens = f"{next_open_time(tenant, cfg, now).astimezone(local_zone(tenant)):%a %Y-%m-%d %H:%M}"
    # Translators: shown on the call-back form too, where there is no --slot: say "choose a slot".
    raise InputError(N_("the call-back service is closed now; it opens %(opens)s (book a slot with --slot)",
                        opens=opens))


def _store(ctx: TenantContext, cfg: CallbackConfig, data: RequestInput, phone: str, now: datetime) -> CallbackRequest:
    from ccctl.customers import find_or_create, record_interaction
    from ccctl.queue.items import create_item

    session, tenant = ctx.session, ctx.tenant
    customer, _ = find_or_create(session, tenant, "phone", phone, data.name.strip())
    request = CallbackRequest(
        tenant_id=tenant.id, ref=data.ref or uuid.uuid4().hex, customer_id=customer.id, phone=phone,
        name=data.name.strip(), reason=data.reason.strip(), context=data.context,
        referral_code=(data.referral_code or "").strip() or None, source=data.source, slot_start=data.slot,
        holds_seat=data.slot is not None, consent=data.consent, consent_at=now if data.consent else None,
    )
    session.add(request)
    session.flush()
    when = describe_when(tenant, request)
    item, _ = create_item(
        ctx, CHANNEL, subject=f"Call back {request.name or phone} {when}"[:500], body=request.reason,
        customer_id=customer.id, queue=cfg.queue, not_before=data.slot or now, external_ref=request.ref,
        attributes={"callback_request": request.id, "phone": phone,
                    "slot": data.slot.isoformat() if data.slot else None,
                    "referral_code": request.referral_code, "context": request.context},
    )
    request.item_id = item.id
    record_interaction(
        session, tenant, CHANNEL, customer_id=customer.id, direction="in", item_id=item.id,
        summary=f"Asked to be called back {when}" + (f": {request.reason}" if request.reason else ""),
        payload={"request": request.id, "slot": data.slot.isoformat() if data.slot else None,
                 "context": request.context, "referral_code": request.referral_code,
                 "consent": request.consent, "source": request.source},
        external_id=f"request-{request.ref}", occurred_at=now,
    )
    ctx.hook("ccctl_channel_event")(name="callback.booked", ctx=ctx, data={
        "request": request.id, "item": item.id, "customer": customer.id, "phone": phone,
        "slot": data.slot.isoformat() if data.slot else None, "referral_code": request.referral_code})
    return request


def describe_when(tenant: Tenant, request: CallbackRequest) -> str:
    if request.slot_start is None:
        return "now"
    return f"at {request.slot_start.astimezone(local_zone(tenant)):%a %Y-%m-%d %H:%M %Z}"  # one clock: zone named


SLOT_TEXT = N_("%(date)s at %(time)s")  # a booked slot in the confirmation SMS: 24/11/2026 at 10:30


def _confirm_by_sms(ctx: TenantContext, request: CallbackRequest) -> None:
    """Ask whichever plugin sends notifications (sms) for a confirmation; none when the tenant has no sms."""
    if request.slot_start is None:
        return
    from click import echo

    from ccctl.errors import DomainError

    from ccctl.i18n import translate, translator

    local = request.slot_start.astimezone(local_zone(ctx.tenant))
    date, time = f"{local:%d/%m/%Y}", f"{local:%H:%M}"
    # The SMS template is picked in the tenant's language; the slot is written in it too.
    slot = translate(SLOT_TEXT, translator(ctx.tenant.config.get("locale"), "ccctl_callback")) % {
        "date": date, "time": time}
    try:
        with ctx.session.begin_nested():
            ctx.hook("ccctl_send_notification")(
                to=request.phone, template="callback_confirmation",
                data={"name": request.name, "tenant": ctx.tenant.name, "slot": slot, "date": date, "time": time},
                ctx=ctx, kind="transactional", idempotency_key=f"callback-confirm-{request.id}", send_at=None,
            )
    except DomainError as exc:
        # The booking stands without its SMS; the operator sees why on stderr / in the server log.
        echo(f"warning: no confirmation SMS for call-back request {request.id}: {exc.message}", err=True)


def request_for_item(ctx: TenantContext, item_id: int) -> CallbackRequest:
    from ccctl.queue.items import get_item

    item = get_item(ctx, item_id)
    if item.channel != CHANNEL:
        raise CcctlError(f"item {item_id} is a {item.channel} item, not a call-back")
    request = find_request(ctx.session, ctx.tenant, item.external_ref or "")
    if request is None:
        raise CcctlError(f"item {item_id} has no call-back request (was its customer erased?)")
    return request
