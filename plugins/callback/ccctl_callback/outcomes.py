"""Attempts and their outcomes: reached, no-answer (re-scheduled with backoff), wrong-number, cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ccctl.context import TenantContext
from ccctl.db.models import WorkItem, utcnow
from ccctl.errors import CcctlError
from ccctl_callback.calling_hours import refusal
from ccctl_callback.config import CallbackConfig, callback_config
from ccctl_callback.models import CallbackAttempt, CallbackRequest
from ccctl_callback.requests import CHANNEL
from ccctl_callback.slots import local_zone, next_open_time, release_seat

OUTCOMES = ("reached", "no-answer", "wrong-number", "cancelled")
FINAL_STATES = ("reached", "wrong-number", "cancelled", "exhausted")


def start_attempt(ctx: TenantContext, request: CallbackRequest, agent: str, mode: str,
                  now: datetime | None = None, check_hours: bool = True) -> CallbackAttempt:
    """Count a new attempt for ``request`` after the state and calling-hours checks."""
    now = now or utcnow()
    if request.state in FINAL_STATES:
        raise CcctlError(f"call-back request {request.id} is already {request.state}")
    item = ctx.session.get(WorkItem, request.item_id) if request.item_id else None
    if item is not None and item.state == "claimed" and item.claimed_by != agent:
        raise CcctlError(f"item {item.id} is held by {item.claimed_by}, not {agent}")
    if check_hours:
        why = refusal(ctx.tenant, callback_config(ctx.tenant), now, request.consent)
        if why:
            raise CcctlError(f"not calling now: {why}")
    request.attempts += 1
    attempt = CallbackAttempt(tenant_id=ctx.tenant.id, request_id=request.id, number=request.attempts,
                              agent=agent, mode=mode, started_at=now)
    ctx.session.add(attempt)
    ctx.session.flush()
    return attempt


def record_outcome(ctx: TenantContext, request: CallbackRequest, attempt: CallbackAttempt, outcome: str,
                   note: str = "", now: datetime | None = None) -> dict:
    """Apply ``outcome`` to the attempt, the request and its queue item; add it to the history.

    Returns what happened: ``{"state": ..., "next_attempt": datetime | None}``.
    """
    from ccctl.customers import record_interaction

    if outcome not in OUTCOMES:
        raise CcctlError(f"unknown outcome '{outcome}' (use {', '.join(OUTCOMES)})")
    if attempt.outcome is not None:  # Twilio may send the final status twice
        return {"state": request.state, "next_attempt": None}
    now = now or utcnow()
    cfg = callback_config(ctx.tenant)
    attempt.outcome, attempt.ended_at = outcome, now
    if note:
        attempt.note = note
    item = ctx.session.scalar(select(WorkItem).where(
        WorkItem.tenant_id == ctx.tenant.id, WorkItem.id == request.item_id))
    next_attempt = None
    if outcome == "no-answer" and request.attempts < cfg.max_attempts:
        next_attempt = _reschedule(ctx, cfg, request, item, attempt, now)
    else:
        request.state = "exhausted" if outcome == "no-answer" else outcome
        if outcome == "cancelled" and request.holds_seat:
            release_seat(ctx.session, ctx.tenant, request.slot_start)
            request.holds_seat = False
        if item is not None and item.state != "closed":
            from ccctl.queue.closing import close

            # The item may have been claimed by someone else since the call began: Twilio's report still counts.
            holder_ok = item.claimed_by in (None, attempt.agent)
            close(ctx, item, outcome=outcome, agent=attempt.agent if holder_ok else None, note=note)
    summary = f"Call-back attempt {attempt.number} by {attempt.agent}: {outcome}"
    if next_attempt is not None:
        summary += f", next try {next_attempt.astimezone(local_zone(ctx.tenant)):%a %d/%m %H:%M}"
    elif request.state == "exhausted":
        summary += f", gave up after {request.attempts} attempts"
    record_interaction(
        ctx.session, ctx.tenant, CHANNEL, customer_id=request.customer_id, direction="out",
        item_id=request.item_id, actor=attempt.agent, occurred_at=now,
        summary=summary + (f" ({note})" if note else ""),
        payload={"request": request.id, "attempt": attempt.number, "mode": attempt.mode,
                 "call_sid": attempt.call_sid, "outcome": outcome, "status": attempt.status,
                 "duration_seconds": attempt.duration_seconds,
                 "next_attempt": next_attempt.isoformat() if next_attempt else None},
        external_id=f"attempt-{attempt.id}",
    )
    ctx.session.flush()
    ctx.hook("ccctl_channel_event")(name="callback.done", ctx=ctx, data={
        "request": request.id, "item": request.item_id, "customer": request.customer_id, "attempt": attempt.number,
        "agent": attempt.agent, "outcome": outcome, "state": request.state,
        "next_attempt": next_attempt.isoformat() if next_attempt else None})
    return {"state": request.state, "next_attempt": next_attempt}


def _reschedule(ctx: TenantContext, cfg: CallbackConfig, request: CallbackRequest, item: WorkItem | None,
                attempt: CallbackAttempt, now: datetime) -> datetime:
    from ccctl.queue.work import release

    when = next_open_time(ctx.tenant, cfg, now + timedelta(minutes=cfg.backoff_minutes(request.attempts)))
    if item is not None and item.state != "closed":
        # Back in the queue for anyone, waiting until the retry time.
        if item.state == "claimed":
            release(ctx, item, note=f"call-back attempt {attempt.number}: no answer")
        item.not_before = when
    return when


def attempts_of(ctx: TenantContext, request: CallbackRequest) -> list[CallbackAttempt]:
    return list(ctx.session.scalars(select(CallbackAttempt).where(
        CallbackAttempt.tenant_id == ctx.tenant.id, CallbackAttempt.request_id == request.id)
        .order_by(CallbackAttempt.number)))


def attempt_row(attempt: CallbackAttempt) -> dict:
    return {"attempt": attempt.number, "agent": attempt.agent, "mode": attempt.mode,
            "started": attempt.started_at, "status": attempt.status, "outcome": attempt.outcome,
            "call_sid": attempt.call_sid, "duration_seconds": attempt.duration_seconds, "note": attempt.note}
