"""``queue next``: atomically claim the best item an agent may take.

Callers run this inside :func:`ccctl.queue.txn.immediate_session`: on SQLite the write lock
is held from BEGIN, so claimers queue up one after another; on PostgreSQL the agent row is
locked (capacity stays exact) and the item is picked ``FOR UPDATE SKIP LOCKED``, so
concurrent claimers each lock a different item without waiting. A long-running client can
prepare its :class:`Claimer` in a read beforehand, keeping the write lock short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from ccctl.db.models import Agent, AgentTenant, Tenant, WorkItem, utcnow
from ccctl.errors import CcctlError
from ccctl.queue.agents import get_agent
from ccctl.queue.history import record_step
from ccctl.queue.skills import allowed_skill_sets


# Built once: a claim is on the hot path, and ready-made statements skip most per-call SQLAlchemy work.
_SERVED = select(AgentTenant.tenant_id).where(AgentTenant.agent_id == bindparam("agent_id"))
_NEXT = (
    # No join to tenants here: SQLite would then start from tenants and sort that tenant's items.
    select(WorkItem)
    # `tenant_id + 0`: no index on it, so the planner cannot trade ix_work_items_claim_order (already
    # in claim order) for ix_work_items_pick plus a sort of a whole tenant's items.
    .where(WorkItem.state == "open", (WorkItem.tenant_id + 0).in_(bindparam("tenants", expanding=True)),
           WorkItem.skill_set_id.in_(bindparam("sets", expanding=True)),
           or_(WorkItem.not_before.is_(None), WorkItem.not_before <= bindparam("now")))
    .order_by(WorkItem.priority.desc(), WorkItem.due_at.asc(), WorkItem.id.asc())
    .limit(1)
    .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the database lock instead
)
_NEXT_IN_QUEUES = _NEXT.where(WorkItem.queue.in_(bindparam("queues", expanding=True)))
# Under lock, in one round trip: availability and capacity (they may have changed) and items held.
_HELD = (select(func.count()).select_from(WorkItem)
         .where(WorkItem.claimed_by == Agent.name, WorkItem.state == "claimed").scalar_subquery())
_AGENT_NOW = (select(Agent.available, Agent.capacity, _HELD).where(Agent.id == bindparam("agent_id"))
              .with_for_update(of=Agent))


@dataclass
class Claim:
    item: WorkItem | None
    reason: str = ""  # why nothing was claimed


@dataclass
class Claimer:
    """What a claim needs to know about the agent; read before the write lock is taken."""

    agent_id: int
    name: str
    tenants: list[int]
    skill_sets: list[int]


def claimer(session: Session, agent_name: str, tenant: Tenant | None = None) -> Claimer:
    """Check the agent may claim (for ``tenant`` when given) and gather its tenants and skill sets."""
    agent = get_agent(session, agent_name)
    if not agent.available:
        raise CcctlError(f"agent {agent.name} is not available (ccctl agent set {agent.name} --available)")
    served = list(session.scalars(_SERVED, {"agent_id": agent.id}))
    if tenant is not None:
        if tenant.id not in served:
            raise CcctlError(f"agent {agent.name} does not serve tenant {tenant.slug}")
        served = [tenant.id]
    if not served:
        raise CcctlError(f"agent {agent.name} serves no tenant (ccctl agent set {agent.name} --serves SLUG)")
    return Claimer(agent.id, agent.name, served, allowed_skill_sets(session, agent.skills))


def claim_next(session: Session, who: str | Claimer, *, tenant: Tenant | None = None,
               queues: list[str] | None = None, now: datetime | None = None) -> Claim:
    """Claim for ``who`` (an agent name, or a :func:`claimer` prepared in an earlier read)."""
    now = now or utcnow()
    who = who if isinstance(who, Claimer) else claimer(session, who, tenant)
    available, capacity, held = session.execute(_AGENT_NOW, {"agent_id": who.agent_id}).one()
    if not available:
        raise CcctlError(f"agent {who.name} is not available (ccctl agent set {who.name} --available)")
    if held >= capacity:
        return Claim(None, f"{who.name} already holds {held} item(s), the capacity")
    params = {"tenants": who.tenants, "sets": who.skill_sets, "now": now}
    if queues:
        params["queues"] = list(queues)
    item = session.scalar(_NEXT_IN_QUEUES if queues else _NEXT, params)
    if item is None:
        return Claim(None, f"nothing open that {who.name} may take now")
    item.state, item.claimed_by, item.claimed_at = "claimed", who.name, now
    record_step(session, tenant or session.get(Tenant, item.tenant_id), item, "claimed",
                f"claimed by {who.name}", actor=who.name)
    return Claim(item)
