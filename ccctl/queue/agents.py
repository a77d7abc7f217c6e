"""Agents: the operators who claim work, with skills, the tenants they serve, availability, capacity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from ccctl.db.models import Agent, AgentTenant, Tenant, WorkItem
from ccctl.errors import CcctlError, InputError
from ccctl.queue.skills import normalise
from ccctl.tenant_lookup import tenant_slugs

AGENT_NAME = r"^[a-z0-9][a-z0-9._-]{0,99}$"
# Only "available" lets the agent claim; "paused" takes a reason (lunch, training...).
AGENT_STATES = ("available", "on-call", "wrap-up", "paused")


_AGENT = select(Agent).where(Agent.name == bindparam("name"))
# Locking serialises one agent's claims on PostgreSQL (capacity check, then claim).
_AGENT_LOCKED = _AGENT.with_for_update().options(lazyload(Agent.served))
_HELD = select(func.count()).select_from(WorkItem).where(
    WorkItem.claimed_by == bindparam("name"), WorkItem.state == "claimed")


def get_agent(session: Session, name: str, lock: bool = False) -> Agent:
    agent = session.scalar(_AGENT_LOCKED if lock else _AGENT, {"name": name})
    if agent is None:
        raise InputError(f"no agent '{name}' (add one: ccctl agent add {name} --skill ... --serves TENANT)")
    return agent


def tenants_by_slug(session: Session, slugs: list[str]) -> list[Tenant]:
    found = {t.slug: t for t in session.scalars(select(Tenant).where(Tenant.slug.in_(slugs)))}
    missing = [s for s in slugs if s not in found]
    if missing:
        known = ", ".join(tenant_slugs(session)) or "none"
        raise InputError(f"no tenant {', '.join(repr(m) for m in missing)} (known: {known})")
    return [found[s] for s in dict.fromkeys(slugs)]


def add_agent(session: Session, name: str, *, skills: list[str], serves: list[str], capacity: int = 1,
              available: bool = True, display_name: str = "") -> Agent:
    import re

    if not re.match(AGENT_NAME, name):
        raise InputError(f"agent name '{name}' must be lower-case letters, digits, '.', '_' or '-'")
    if session.scalar(select(Agent.id).where(Agent.name == name)) is not None:
        raise CcctlError(f"agent '{name}' exists already (change it with ccctl agent set {name} ...)")
    agent = Agent(name=name, display_name=display_name, skills=normalise(skills), capacity=capacity,
                  available=available, state="available" if available else "paused",
                  state_reason="" if available else "paused")
    agent.served = [AgentTenant(tenant_id=t.id) for t in tenants_by_slug(session, serves)]
    session.add(agent)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise CcctlError(f"agent '{name}' exists already") from None
    # The history starts with the first state, so time-in-state reports cover the agent's whole life.
    from ccctl.db.models import AgentStateChange

    session.add(AgentStateChange(agent_id=agent.id, state=agent.state, reason=agent.state_reason, source="agent add",
                                 at=agent.created_at))
    return agent


def update_agent(session: Session, agent: Agent, *, skills: list[str] | None = None,
                 add_skills: list[str] = (), remove_skills: list[str] = (), serves: list[str] | None = None,
                 add_serves: list[str] = (), remove_serves: list[str] = (), capacity: int | None = None,
                 available: bool | None = None, display_name: str | None = None, phone: str | None = None,
                 state: str | None = None, reason: str = "", region: str = "FR") -> Agent:
    held = set(agent.skills if skills is None else normalise(skills))
    held |= set(normalise(add_skills))
    held -= set(normalise(remove_skills))
    agent.skills = sorted(held)
    if serves is not None or add_serves or remove_serves:
        current = {a.tenant_id for a in agent.served}
        if serves is not None:
            current = {t.id for t in tenants_by_slug(session, list(serves))}
        current |= {t.id for t in tenants_by_slug(session, list(add_serves))}
        current -= {t.id for t in tenants_by_slug(session, list(remove_serves))}
        keep = [a for a in agent.served if a.tenant_id in current]
        have = {a.tenant_id for a in keep}
        agent.served = keep + [AgentTenant(tenant_id=t) for t in sorted(current - have)]
    if capacity is not None:
        agent.capacity = capacity
    if available is not None and state is None:
        state = "available" if available else "paused"
    if state is not None:
        set_state(session, agent, state, reason, source="operator")
    if phone is not None:
        agent.phone = agent_phone(phone, region)
    if display_name is not None:
        agent.display_name = display_name
    session.flush()
    return agent


def agent_phone(value: str, region: str = "FR") -> str | None:
    """An agent's phone as E.164 ("" clears it); an InputError naming the value otherwise."""
    from ccctl.contacts import normalize_phone

    return normalize_phone(value, region) if value.strip() else None


def set_state(session: Session, agent: Agent, state: str, reason: str = "", source: str = "") -> bool:
    """Move ``agent`` to ``state`` (kept in ``agent_state_changes``); claims follow ``available``.

    Returns False (and writes nothing) when the agent is already in that state for that reason.
    """
    from ccctl.db.models import AgentStateChange, utcnow

    if state not in AGENT_STATES:
        raise InputError(f"agent state '{state}' is not one of {', '.join(AGENT_STATES)}")
    reason = reason.strip()[:200]
    if state == "paused" and not reason:
        reason = "paused"
    if agent.state == state and agent.state_reason == reason:
        return False
    agent.state, agent.state_reason, agent.available = state, reason, state == "available"
    session.add(AgentStateChange(agent_id=agent.id, state=state, reason=reason, source=source[:100], at=utcnow()))
    return True


def held_count(session: Session, name: str) -> int:
    return session.scalar(_HELD, {"name": name}) or 0


def agent_row(session: Session, agent: Agent) -> dict[str, Any]:
    slugs = dict(session.execute(select(Tenant.id, Tenant.slug)).all())
    return {
        "name": agent.name, "display_name": agent.display_name, "skills": agent.skills,
        "serves": sorted(slugs[a.tenant_id] for a in agent.served if a.tenant_id in slugs),
        "available": agent.available, "capacity": agent.capacity, "holding": held_count(session, agent.name),
        "phone": agent.phone, "state": agent.state, "state_reason": agent.state_reason,
    }


def list_agents(session: Session, tenant: Tenant | None = None) -> list[Agent]:
    query = select(Agent).order_by(Agent.name)
    if tenant is not None:
        query = query.join(AgentTenant).where(AgentTenant.tenant_id == tenant.id)
    return list(session.scalars(query))
