"""What the caller goes through: greeting, case number, menu, the queue, the wait, leaving it.

Each function takes the verified webhook parameters and returns the TwiML to answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from ccctl.context import TenantContext
from ccctl.db.models import Customer, WorkItem
from ccctl_voice.calls import int_param, is_open, load_call, log_step, open_call, script
from ccctl_voice.casenumber import parse_case
from ccctl_voice.config import VoiceConfig
from ccctl_voice.twiml import Script
from ccctl_voice.placing import enqueue, owner_if_free, queue_priority, ring_owner


def incoming(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    call, _ = open_call(ctx, cfg, params, now)
    s = script(ctx, cfg, call)
    if not is_open(ctx.tenant, cfg, now):
        log_step(ctx, call, "closed", "called outside opening hours", now)
        s.speak("closed")
        if cfg.out_of_hours == "callback" and cfg.callback_digit:
            gather = s.gather("offer-key", 1, timeout=6)
            s.speak("closed_callback_offer", into=gather, digit=cfg.callback_digit)
        return s.record_voicemail()
    if cfg.recording.enabled:
        s.speak("consent")
    s.speak("greeting")
    gather = s.gather("case", cfg.case_number.digits, timeout=6)
    s.speak("case_prompt", into=gather)
    return s.redirect("menu")


def case(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """The caller keyed a case number: ring its owner if free, else queue for its skills, sticky to them."""
    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    keyed = params.get("Digits") or ""
    item_id = parse_case(keyed, cfg.case_number)
    found = ctx.session.scalar(select(WorkItem).where(WorkItem.id == item_id, WorkItem.tenant_id == ctx.tenant.id)) \
        if item_id else None
    if found is None:
        log_step(ctx, call, "case-unknown", f"keyed a case number that is not one ({len(keyed)} digits)", now)
        s.speak("case_invalid")
        return s.redirect("menu")
    call.case_item_id = found.id
    log_step(ctx, call, "case", f"keyed the case number of item {found.id}", now, case_item_id=found.id)
    owner, free = owner_if_free(ctx, found)
    if free:
        ring_owner(ctx, cfg, call, found, owner, s, now)
        return s
    boost = queue_priority(ctx, found.queue) + cfg.owner_priority_boost
    enqueue(ctx, cfg, call, s, now, queue=found.queue, skills=list(found.skills), priority=boost,
            sticky_to=owner.name if owner else None)
    return s


def menu(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    if cfg.menu:
        gather = s.gather("menu-choice", 1, timeout=5)
        s.speak("menu", into=gather)
    return s.redirect("enqueue")


def menu_choice(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    digit = (params.get("Digits") or "")[:1]
    if digit and digit == cfg.web_code_key:
        gather = s.gather("web-code", cfg.web_code_digits, timeout=8)
        s.speak("web_code_prompt", into=gather)
        return s.redirect("menu")
    choice = cfg.menu.get(digit)
    if choice is None:
        log_step(ctx, call, "menu", f"menu: key {digit!r} means nothing, default queue", now)
        enqueue(ctx, cfg, call, s, now)
        return s
    log_step(ctx, call, "menu", f"menu: chose {digit} ({choice.queue or 'routing rules'})", now)
    enqueue(ctx, cfg, call, s, now, queue=choice.queue, skills=choice.skills or None)
    return s


def web_code(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """The caller keyed the code a web page showed them: the call is the partner's, the page is known."""
    from ccctl_voice.webcode import find_code

    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    found = find_code(ctx, (params.get("Digits") or "").strip(), now)
    if found is None:
        log_step(ctx, call, "web-code-unknown", "keyed a web code that is not one (or expired)", now)
        s.speak("web_code_invalid")
    else:
        call.partner_code = found.ref or None
        call.attributes = {**call.attributes, "page": found.page or None, "partner_code": found.ref or None}
        # The call's work item carries the partner (report attribution counts an item once);
        # this event names it under another key so the call is not counted twice.
        log_step(ctx, call, "web-code", f"keyed the web code of partner {found.ref or '-'}", now,
                 attributed_to=found.ref or None, page=found.page or None)
    return s.redirect("menu")


def enqueue_default(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    enqueue(ctx, cfg, call, s, now)
    return s


def wait(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """Twilio's waitUrl, asked again whenever its TwiML ends: position, expected wait, the call-back key."""
    from ccctl_voice.placing import position_and_wait

    call = load_call(ctx, params)
    if params.get("QueueSid") and call.queue_sid != params["QueueSid"]:
        call.queue_sid = params["QueueSid"]
    s = script(ctx, cfg, call)
    position, minutes = position_and_wait(ctx, cfg, call, now)
    s.speak("wait", position=position, minutes=minutes)
    into = None
    if cfg.callback_digit:
        into = s.gather("wait-key", 1, timeout=1)
        s.speak("callback_offer", into=into, digit=cfg.callback_digit)
    target = into if into is not None else s.response
    if cfg.wait_music:
        target.play(cfg.wait_music)
    else:
        target.pause(length=10)
    return s


def wait_key(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """A key pressed while waiting: the call-back digit books a call-back that keeps the caller's place."""
    from ccctl.queue.closing import close
    from ccctl.queue.work import lock_item

    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    if (params.get("Digits") or "")[:1] != cfg.callback_digit or call.state != "queued" or not call.from_number:
        return s  # back to the waiting music
    booked = _book_callback(ctx, call, call.queued_at, f"asked while waiting in queue {call.queue}", "voice queue")
    if booked is None:
        log_step(ctx, call, "callback-refused", "asked for a call-back; none could be booked", now)
        return s.speak("callback_failed")
    call.outcome, call.state = "callback", "ended"
    call.wait_seconds = int((now - call.queued_at).total_seconds()) if call.queued_at else 0
    call.attributes = {**call.attributes, "callback_item_id": booked}
    close(ctx, lock_item(ctx, call.item_id), outcome="callback-requested", note=f"call-back item {booked}")
    log_step(ctx, call, "callback", f"left the queue for a call-back (item {booked}) keeping its place", now,
             callback_item_id=booked)
    return s.speak("callback_done").leave()


def offer_key(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """Out of hours: the caller took the call-back offer (the first free slot)."""
    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    if (params.get("Digits") or "")[:1] != cfg.callback_digit or not call.from_number:
        return s.record_voicemail()
    booked = _book_callback(ctx, call, None, "asked out of hours", "voice out of hours")
    if booked is None:
        return s.speak("callback_failed").record_voicemail()
    call.outcome, call.state = "callback", "ended"
    log_step(ctx, call, "callback", f"asked out of hours for a call-back (item {booked})", now,
             callback_item_id=booked)
    return s.speak("callback_done").hangup()


def _book_callback(ctx: TenantContext, call, due_at: datetime | None, reason: str, via: str) -> int | None:
    """Ask whichever plugin takes call-backs (hook, never an import); its item id, or None."""
    customer = ctx.session.get(Customer, call.customer_id) if call.customer_id else None
    return ctx.hook("ccctl_request_callback")(
        phone=call.from_number, name=customer.name if customer else "", customer_id=call.customer_id,
        due_at=due_at, reason=reason, context={"call_sid": call.call_sid, "via": via},
        idempotency_key=f"voice-{call.call_sid}", ctx=ctx)


def queue_exit(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """``<Enqueue action>``: the caller left Twilio's queue (hung up, left, or it failed)."""
    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    result = params.get("QueueResult") or ""
    if result == "hangup":
        abandon(ctx, call, int_param(params, "QueueTime"), now)
        return s
    if result in ("queue-full", "error", "system-error"):
        log_step(ctx, call, "queue-failed", f"Twilio could not hold the call ({result}): voicemail", now)
        return s.record_voicemail()
    return s.hangup()  # leave (after a call-back), bridged, redirected: nothing more to play


def abandon(ctx: TenantContext, call, waited: int | None, now: datetime) -> None:
    """The caller hung up while waiting (or while an agent was being connected): recorded with the wait."""
    from ccctl.queue.closing import close_item

    if call.state not in ("queued", "connecting", "dialing") or call.outcome is not None:
        return
    if waited is None and call.queued_at is not None:
        waited = int((now - call.queued_at).total_seconds())
    call.outcome, call.state, call.wait_seconds, call.ended_at = "abandoned", "ended", waited or 0, now
    if call.item_id is not None and item_state(ctx, call.item_id) != "closed":
        close_item(ctx, call.item_id, outcome="abandoned", note=f"caller hung up after {waited or 0} s in the queue")
    _free_agent(ctx, call)
    log_step(ctx, call, "abandoned", f"hung up after {waited or 0} s waiting", now, wait_seconds=waited or 0)


def item_state(ctx: TenantContext, item_id: int) -> str | None:
    """The state of the call's item, row-locked on PostgreSQL (SQLite callers hold the write lock)."""
    return ctx.session.execute(_ITEM_STATE, {"id": item_id, "tenant": ctx.tenant.id}).scalar()


_ITEM_STATE = select(WorkItem.state).where(WorkItem.id == bindparam("id"), WorkItem.tenant_id == bindparam("tenant")) \
    .with_for_update()


def _free_agent(ctx: TenantContext, call) -> None:
    from ccctl_voice.agent_state import agent_back

    agent_back(ctx, call, "available")

