"""The call row and the customer's history: opening a call, finding it again, logging a step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from ccctl.context import TenantContext
from ccctl.db.models import Tenant
from ccctl_voice.config import VoiceConfig, language_of
from ccctl_voice.models import VoiceCall
from ccctl_voice.twiml import Script

CHANNEL = "voice"


class Refused(Exception):
    """A webhook this tenant does not answer (HTTP ``status``); nothing is recorded."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def script(ctx: TenantContext, cfg: VoiceConfig, call: VoiceCall | None = None) -> Script:
    return Script(ctx.tenant.slug, cfg, call.language if call is not None else language_of(ctx.tenant, cfg))


def e164(value: str, tenant: Tenant) -> str | None:
    """``value`` as E.164, or None (anonymous callers, SIP and client identities)."""
    from ccctl.contacts import normalize_phone
    from ccctl.errors import InputError

    if not value or not value.lstrip().startswith("+"):
        return None
    try:
        return normalize_phone(value, tenant.default_region)
    except InputError:
        return None


def open_call(ctx: TenantContext, cfg: VoiceConfig, params, now: datetime) -> tuple[VoiceCall, bool]:
    """The call ``params['CallSid']`` (created with its caller as a customer, unless Twilio retried)."""
    from ccctl.customers import find_or_create

    sid = params.get("CallSid") or ""
    if not sid:
        raise Refused(400, "CallSid is required")
    to = e164(params.get("To", ""), ctx.tenant)
    if to is None or to not in cfg.numbers:
        raise Refused(404, "the number called is not one of this tenant's numbers (plugins.voice.numbers)")
    existing = find_call(ctx, sid)
    if existing is not None:
        return existing, False
    caller = e164(params.get("From", ""), ctx.tenant)
    customer_id = find_or_create(ctx.session, ctx.tenant, "phone", caller)[0].id if caller else None
    call = VoiceCall(tenant_id=ctx.tenant.id, call_sid=sid, from_number=caller or "", to_number=to,
                     customer_id=customer_id, language=language_of(ctx.tenant, cfg), started_at=now,
                     attributes={"from_raw": (params.get("From") or "")[:64]} if caller is None else {})
    ctx.session.add(call)
    ctx.session.flush()
    log_step(ctx, call, "incoming", f"call from {caller or 'a hidden number'} to {to}", now)
    if customer_id is not None:  # they called: whether or not the call ends in a queue item
        ctx.hook("ccctl_customer_contacted")(customer_ids=[customer_id], channel=CHANNEL, ctx=ctx)
    return call, True


_BY_SID = select(VoiceCall).where(VoiceCall.tenant_id == bindparam("tenant"), VoiceCall.call_sid == bindparam("sid"))


def find_call(ctx: TenantContext, sid: str) -> VoiceCall | None:
    return ctx.session.scalar(_BY_SID, {"tenant": ctx.tenant.id, "sid": sid})


def load_call(ctx: TenantContext, params, call_id: str | None = None) -> VoiceCall:
    """The call a webhook is about: by ``CallSid``, or by our id (``?call=``) for the agent's leg."""
    if call_id is not None:
        call = ctx.session.get(VoiceCall, int(call_id)) if call_id.isdigit() else None
        if call is None or call.tenant_id != ctx.tenant.id:
            raise Refused(404, "no such call")
        return call
    call = find_call(ctx, params.get("CallSid") or "")
    if call is None:
        raise Refused(404, "no such call (it did not come in through /voice/incoming)")
    return call


def log_step(ctx: TenantContext, call: VoiceCall, step: str, summary: str, now: datetime, **payload: Any) -> None:
    """One event of the call in the customer's history.

    No idempotency key is needed: a webhook is handled at most once (its digest is stored in the
    same transaction, so Twilio's retry of a handled request is refused as a replay). One plain
    INSERT on the session's connection: no ORM object, no flush (the customer and the item it
    names are in the database already; pending changes to the call row go in at commit).
    """
    from ccctl.customers import interaction_values
    from ccctl.db.models import Interaction

    ctx.session.connection().execute(Interaction.__table__.insert(), interaction_values(
        ctx.tenant, CHANNEL, customer_id=call.customer_id, direction="in", summary=summary,
        payload={"step": step, "call_sid": call.call_sid, **payload}, item_id=call.item_id, occurred_at=now,
        actor=call.agent if step in ("answered", "missed") else None))


def is_open(tenant: Tenant, cfg: VoiceConfig, now: datetime) -> bool:
    """Within the voice hours (default: the tenant's business hours), not on a public holiday."""
    from zoneinfo import ZoneInfo

    from ccctl.queue.sla import open_windows, weekly_hours

    hours = cfg.hours if cfg.hours is not None else tenant.config.get("business_hours")
    if not hours:
        return True
    zone = ZoneInfo(tenant.timezone)
    windows = open_windows(now.astimezone(zone).date(), weekly_hours(hours), zone, tenant.config.get("holidays"))
    return any(start <= now < end for start, end in windows)


def int_param(params, name: str) -> int | None:
    value = (params.get(name) or "").strip()
    return int(value) if value.isdigit() else None
