"""Where a call waits: its work item (channel voice) in ccctl's queue, or straight to an agent.

The routing brain is ccctl's queue: Twilio only holds the caller (``<Enqueue>``) until an
agent claims the item, or the case owner is rung directly when free.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select

from ccctl.context import TenantContext
from ccctl.db.models import Agent, AgentTenant, WorkItem
from ccctl.errors import CcctlError
from ccctl.queue.history import record_step
from ccctl.queue.holding import hold
from ccctl_voice.calls import CHANNEL, Refused, log_step
from ccctl_voice.config import VoiceConfig
from ccctl_voice.models import VoiceCall
from ccctl_voice.twiml import Script

BUSY_STATES = ("on-call", "wrap-up")


def twilio_queue_name(ctx: TenantContext) -> str:
    return f"ccctl-{ctx.tenant.slug}"[:64]


def call_item(ctx: TenantContext, cfg: VoiceConfig, call: VoiceCall, queue: str | None, skills: list[str] | None,
              priority: int | None) -> WorkItem:
    """The call's own work item, created once (its external ref is the CallSid)."""
    from ccctl.queue.items import create_item

    if call.item_id is not None:
        return ctx.session.get(WorkItem, call.item_id)
    kwargs = dict(subject=f"Call from {call.from_number or 'a hidden number'}"[:500], customer_id=call.customer_id,
                  skills=skills or None, priority=priority, external_ref=call.call_sid,
                  attributes={"call_sid": call.call_sid, "from": call.from_number, "case_item_id": call.case_item_id,
                              "partner_code": call.partner_code, "page": call.attributes.get("page")})
    try:
        item, _ = create_item(ctx, CHANNEL, queue=queue or cfg.default_queue, **kwargs)
    except CcctlError:  # a menu naming a queue the tenant no longer has: the routing rules decide
        item, _ = create_item(ctx, CHANNEL, queue=None, **kwargs)
    call.item_id, call.queue = item.id, item.queue
    return item


def queue_priority(ctx: TenantContext, queue: str) -> int:
    spec = next((q for q in ctx.tenant.config.get("queues") or [] if q["name"] == queue), {})
    return int(spec.get("priority", 0))


def owner_if_free(ctx: TenantContext, case: WorkItem) -> tuple[Agent | None, bool]:
    """(the case's owner, whether their phone may ring now) — the owner is who last held the case."""
    if not case.claimed_by:
        return None, False
    agent = ctx.session.scalar(select(Agent).where(Agent.name == case.claimed_by).with_for_update())
    if agent is None or ctx.tenant.id not in {a.tenant_id for a in agent.served}:
        return None, False
    held = agent.holding - (1 if case.state == "claimed" else 0)  # the case itself is no other work
    return agent, agent.state == "available" and bool(agent.phone) and held < agent.capacity


def ring_owner(ctx: TenantContext, cfg: VoiceConfig, call: VoiceCall, case: WorkItem, owner: Agent,
               script: Script, now: datetime) -> None:
    """The call's item goes to the owner at once and their phone rings (whisper first)."""
    item = call_item(ctx, cfg, call, case.queue, list(case.skills), queue_priority(ctx, case.queue))
    claim_for(ctx, item, owner.name, now, "the case owner, rung directly")
    call.attributes = {**call.attributes, "route": "owner", "owner": owner.name}
    start_ringing(ctx, cfg, call, owner, script, now, cfg.owner_ring_seconds)


def start_ringing(ctx: TenantContext, cfg: VoiceConfig, call: VoiceCall, agent: Agent, script: Script,
                  now: datetime, seconds: int) -> None:
    from ccctl.queue.agents import set_state
    from ccctl_voice.pop import announce

    call.state, call.agent = "dialing", agent.name
    announce(ctx.session, ctx.tenant.id, agent.name, call.id)
    set_state(ctx.session, agent, "on-call", f"call {call.call_sid}", source=f"voice:{call.call_sid}")
    log_step(ctx, call, f"ringing-{agent.name}", f"ringing {agent.name}", now)
    script.dial(agent.phone, call.id, call.from_number or None, seconds)


def claim_for(ctx: TenantContext, item: WorkItem, agent: str, now: datetime, why: str) -> None:
    item.state, item.claimed_by, item.claimed_at = "claimed", agent, now
    item.reserved_for = item.reserved_until = None
    hold(ctx.session, agent, +1)
    record_step(ctx.session, ctx.tenant, item, "claimed", f"claimed by {agent} ({why})", actor=agent)


def release_call_item(ctx: TenantContext, item: WorkItem, why: str) -> None:
    """Give a call's item back (its agent did not answer, or the caller left): every outcome frees the agent."""
    if item.state != "claimed":
        return
    holder = item.claimed_by
    item.state, item.claimed_by, item.claimed_at = "open", None, None
    hold(ctx.session, holder, -1)
    record_step(ctx.session, ctx.tenant, item, "released", f"released: {why}", actor=holder)


def enqueue(ctx: TenantContext, cfg: VoiceConfig, call: VoiceCall, script: Script, now: datetime, *,
            queue: str | None = None, skills: list[str] | None = None, priority: int | None = None,
            sticky_to: str | None = None) -> None:
    """The caller waits in ccctl's queue (``<Enqueue>`` holds them at Twilio meanwhile)."""
    item = call_item(ctx, cfg, call, queue, skills, priority)
    if item.state == "closed":
        raise Refused(409, f"item {item.id} of this call is closed already")
    release_call_item(ctx, item, "the call goes back to the queue")
    if priority is not None:
        item.priority = priority
    if sticky_to:
        item.reserved_for, item.reserved_until = sticky_to, now + timedelta(seconds=cfg.sticky_seconds)
    call.state, call.agent = "queued", None
    call.queued_at = call.queued_at or now
    log_step(ctx, call, "queued", f"waiting in queue {item.queue}"
             + (f", kept for {sticky_to} until {item.reserved_until:%H:%M} UTC" if sticky_to else ""), now,
             queue=item.queue, priority=item.priority)
    script.enqueue(twilio_queue_name(ctx))


def position_and_wait(ctx: TenantContext, cfg: VoiceConfig, call: VoiceCall, now: datetime) -> tuple[int, int]:
    """(place among the callers waiting in the call's queue, expected wait in minutes).

    Every waiting caller asks this every few seconds: one query (the call's item, the callers
    ahead of it in ccctl's claim order, the agents at work), the day's talk time cached a while.
    """
    row = ctx.session.execute(_WAIT_FIGURES, {"item": call.item_id or 0, "tenant": ctx.tenant.id}).first() \
        if call.item_id else None
    if row is None or row.state != "open":
        return 1, 1
    talk = _talk_seconds(ctx, now)
    per_caller = talk if talk is not None else cfg.seconds_per_caller
    position = row.ahead + 1
    return position, max(1, math.ceil(position * per_caller / (row.agents or 1) / 60))


def _wait_figures():
    mine, other = WorkItem.__table__.alias("mine"), WorkItem.__table__.alias("other")
    ahead = (select(func.count()).select_from(other).where(
        other.c.tenant_id == mine.c.tenant_id, other.c.queue == mine.c.queue, other.c.state == "open",
        other.c.channel == CHANNEL, other.c.id != mine.c.id,
        or_(other.c.priority > mine.c.priority,
            and_(other.c.priority == mine.c.priority,
                 or_(other.c.due_at < mine.c.due_at, and_(other.c.due_at == mine.c.due_at, other.c.id < mine.c.id)))))
        .scalar_subquery())
    agents = (select(func.count()).select_from(Agent.__table__.join(AgentTenant.__table__)).where(
        AgentTenant.tenant_id == mine.c.tenant_id, Agent.state.in_(("available", *BUSY_STATES))).scalar_subquery())
    return select(mine.c.state, ahead.label("ahead"), agents.label("agents")).where(
        mine.c.id == bindparam("item"), mine.c.tenant_id == bindparam("tenant"))


_WAIT_FIGURES = _wait_figures()
_TALK: dict[tuple[str, int], tuple[float, float | None]] = {}  # (database, tenant id) -> (when read, mean)
TALK_CACHE_SECONDS = 60.0


def _talk_seconds(ctx: TenantContext, now: datetime) -> float | None:
    """The mean talk time of the tenant's answered calls of the last day (None under 3 calls), read
    at most once a minute per process: an estimate for the waiting message, not a report."""
    import time

    key = (str(ctx.app.engine.url), ctx.tenant.id)
    hit = _TALK.get(key)
    if hit is not None and time.monotonic() - hit[0] < TALK_CACHE_SECONDS:
        return hit[1]
    mean, count = ctx.session.execute(select(func.avg(VoiceCall.talk_seconds), func.count()).where(
        VoiceCall.tenant_id == ctx.tenant.id, VoiceCall.talk_seconds.is_not(None),
        VoiceCall.started_at >= now - timedelta(days=1))).one()
    if len(_TALK) > 1024:
        _TALK.clear()
    _TALK[key] = (time.monotonic(), float(mean) if count >= 3 else None)
    return _TALK[key][1]
