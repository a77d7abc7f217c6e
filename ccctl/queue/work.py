"""What an agent does with an item: release it, transfer it, park it (closing: ``ccctl.queue.closing``).

Every step goes to history, and moves the agents' ``holding`` counters in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ccctl.context import TenantContext
from ccctl.db.models import WorkItem, utcnow
from ccctl.errors import CcctlError, InputError
from ccctl.queue.agents import get_agent, held_count
from ccctl.queue.history import record_step
from ccctl.queue.holding import hold
from ccctl.queue.items import queue_spec
from ccctl.queue.skills import normalise, skill_set_id



_LOCK_ITEM = select(WorkItem).where(WorkItem.id == bindparam("id"), WorkItem.tenant_id == bindparam("tenant_id")) \
    .with_for_update()


def lock_item(ctx: TenantContext, item_id: int) -> WorkItem:
    """Item ``item_id`` of this tenant, row-locked on PostgreSQL (SQLite callers hold the write lock)."""
    item = ctx.session.scalar(_LOCK_ITEM, {"id": item_id, "tenant_id": ctx.tenant.id})
    if item is None:
        raise CcctlError(f"no item {item_id} for tenant {ctx.tenant.slug}")
    return item


def refuse_closed(item) -> None:
    """Raise when ``item`` (an item, or a row with its state, outcome and closed_at) is closed."""
    if item.state == "closed":
        raise CcctlError(f"item {item.id} is already closed (outcome {item.outcome}, "
                         f"{item.closed_at:%Y-%m-%d %H:%M} UTC)")


def refuse_other_holder(item, agent: str | None) -> None:
    """Raise when ``agent`` is named and someone else holds ``item``."""
    if agent and item.state == "claimed" and item.claimed_by != agent:
        raise CcctlError(f"item {item.id} is held by {item.claimed_by}, not {agent}")


def take_over(ctx: TenantContext, item: WorkItem, agent: str) -> WorkItem:
    """``--force``: ``agent`` takes ``item`` from whoever holds it, recorded as forced in its history."""
    refuse_closed(item)
    holder = item.claimed_by if item.state == "claimed" else None
    if holder is None or holder == agent:
        return item
    item.claimed_by, item.claimed_at = agent, utcnow()
    hold(ctx.session, holder, -1)
    hold(ctx.session, agent, +1)
    record_step(ctx.session, ctx.tenant, item, "taken-over", f"taken over from {holder} by {agent} (forced)",
                actor=agent, forced=True, from_agent=holder)
    return item


def release(ctx: TenantContext, item: WorkItem, *, agent: str | None = None, note: str = "") -> WorkItem:
    """Put a claimed (or waiting) item back in its queue for someone else."""
    refuse_closed(item)
    if item.state not in ("claimed", "waiting"):
        raise CcctlError(f"item {item.id} is {item.state}, not claimed: nothing to release")
    refuse_other_holder(item, agent)
    holder = item.claimed_by
    item.state, item.claimed_by, item.claimed_at = "open", None, None
    hold(ctx.session, holder, -1)
    who = agent or holder
    record_step(ctx.session, ctx.tenant, item, "released", (f"released by {who}" if who else "released")
                + (f": {note}" if note else ""), actor=who, note=note)
    return item


def transfer(ctx: TenantContext, item: WorkItem, *, queue: str | None = None, to_agent: str | None = None,
             agent: str | None = None, note: str = "") -> WorkItem:
    """Move to another queue (back to open there) and/or hand it to another agent (claimed by them)."""
    refuse_closed(item)
    if not queue and not to_agent:
        raise InputError("say where to: --queue NAME and/or --to-agent NAME")
    refuse_other_holder(item, agent)
    holder = item.claimed_by if item.state == "claimed" else None
    moved = []
    if queue and queue != item.queue:
        spec = queue_spec(ctx, queue)
        moved.append(f"from {item.queue} to {queue}")
        item.queue, item.priority = queue, max(item.priority, spec.get("priority", 0))
        item.skills = normalise(spec.get("skills", []))
        item.skill_set_id = skill_set_id(ctx.session, item.skills)
    if to_agent:
        target = get_agent(ctx.session, to_agent, lock=True)
        if ctx.tenant.id not in {a.tenant_id for a in target.served}:
            raise CcctlError(f"agent {to_agent} does not serve tenant {ctx.tenant.slug}")
        missing = set(item.skills) - set(target.skills)
        if missing:
            raise CcctlError(f"agent {to_agent} lacks the skills {', '.join(sorted(missing))} item {item.id} needs")
        if not target.available:
            raise CcctlError(f"agent {to_agent} is not available")
        if item.claimed_by != to_agent and held_count(ctx.session, to_agent) >= target.capacity:
            raise CcctlError(f"agent {to_agent} is at capacity ({target.capacity})")
        item.state, item.claimed_by, item.claimed_at = "claimed", to_agent, utcnow()
        moved.append(f"to agent {to_agent}")
    else:
        item.state, item.claimed_by, item.claimed_at = "open", None, None
    if not moved:
        raise InputError(f"item {item.id} is already in queue {item.queue}")
    if holder != to_agent:
        hold(ctx.session, holder, -1)
        hold(ctx.session, to_agent, +1)
    record_step(ctx.session, ctx.tenant, item, "transferred", "transferred " + " ".join(moved)
                + (f": {note}" if note else ""), actor=agent, note=note, to_agent=to_agent)
    if to_agent:
        ctx.hook("ccctl_item_assigned")(item=item, agent=to_agent, ctx=ctx)
    return item


def park(ctx: TenantContext, item: WorkItem, *, agent: str | None = None, note: str = "") -> WorkItem:
    """Set an item aside, ``waiting`` for the customer: out of the agent's hands and out of the queue
    until the customer writes again (the email plugin reopens it) or someone releases or transfers it."""
    refuse_closed(item)
    if item.state == "waiting":
        raise CcctlError(f"item {item.id} is already waiting")
    refuse_other_holder(item, agent)
    holder = item.claimed_by if item.state == "claimed" else None
    item.state, item.claimed_by, item.claimed_at = "waiting", None, None
    hold(ctx.session, holder, -1)
    record_step(ctx.session, ctx.tenant, item, "waiting", "waiting for the customer" + (f": {note}" if note else ""),
                actor=agent or holder, note=note)
    return item


# Here, not in agents.py: removing an agent releases its items, and agents.py stays below work.py.
def remove_agent(app, session: Session, name: str, *, release_items: bool = False) -> list[int]:
    """Delete agent ``name``; with ``release_items`` the items they hold go back to their queues
    first (ids returned), else holding any is an error."""
    from sqlalchemy import text

    from ccctl.db.models import CLAIMED_STATE, Tenant

    agent = get_agent(session, name, lock=True)
    held = list(session.scalars(select(WorkItem).where(WorkItem.claimed_by == name, text(CLAIMED_STATE))
                                .order_by(WorkItem.id).with_for_update()))
    if held and not release_items:
        ids = ", ".join(str(i.id) for i in held)
        raise CcctlError(f"agent {name} holds item(s) {ids}: close or release them, or pass --release")
    for item in held:
        release(app.context(session, session.get(Tenant, item.tenant_id)), item, note=f"agent {name} removed")
    session.delete(agent)
    session.flush()
    return [i.id for i in held]
