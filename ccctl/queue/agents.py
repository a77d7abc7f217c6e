"""Agents: the operators who claim work, with skills, the tenants they serve, availability, capacity."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from ccctl.db.models import Agent, AgentTenant, Tenant, WorkItem
from ccctl.errors import CcctlError, InputError
from ccctl.queue.skills import normalise

AGENT_NAME = r"^[a-z0-9][a-z0-9._-]{0,99}$"


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
        known = ", ".join(session.scalars(select(Tenant.slug).order_by(Tenant.slug))) or "none"
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
                  available=available)
    agent.served = [AgentTenant(tenant_id=t.id) for t in tenants_by_slug(session, serves)]
    session.add(agent)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise CcctlError(f"agent '{name}' exists already") from None
    return agent


def update_agent(session: Session, agent: Agent, *, skills: list[str] | None = None,
                 add_skills: list[str] = (), remove_skills: list[str] = (), serves: list[str] | None = None,
                 add_serves: list[str] = (), remove_serves: list[str] = (), capacity: int | None = None,
                 available: bool | None = None, display_name: str | None = None) -> Agent:
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
    if available is not None:
        agent.available = available
    if display_name is not None:
        agent.display_name = display_name
    session.flush()
    return agent


def held_count(session: Session, name: str) -> int:
    return session.scalar(_HELD, {"name": name}) or 0


def agent_row(session: Session, agent: Agent) -> dict[str, Any]:
    slugs = dict(session.execute(select(Tenant.id, Tenant.slug)).all())
    return {
        "name": agent.name, "display_name": agent.display_name, "skills": agent.skills,
        "serves": sorted(slugs[a.tenant_id] for a in agent.served if a.tenant_id in slugs),
        "available": agent.available, "capacity": agent.capacity, "holding": held_count(session, agent.name),
    }


def list_agents(session: Session, tenant: Tenant | None = None) -> list[Agent]:
    query = select(Agent).order_by(Agent.name)
    if tenant is not None:
        query = query.join(AgentTenant).where(AgentTenant.tenant_id == tenant.id)
    return list(session.scalars(query))
