"""Helpers shared by the queue, item and agent commands (imported inside command functions)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from ccctl.context import App


def current_app() -> App:
    return click.get_current_context().find_object(App)


@contextlib.contextmanager
def item_session(tenant_slug: str | None = None, *, agent: str | None = None, item_id: int | None = None,
                 write: bool = True) -> Iterator[tuple]:
    """Yield (app, session, tenant); ``write``: in an immediate transaction, committed on success.

    Without --tenant and with several tenants, an item command by an agent acts in the
    item's own tenant when the agent serves it, so `item close 4711 --agent marie` just works.
    """
    from ccctl.queue.txn import immediate_session

    app = current_app()
    with (immediate_session(app.engine) if write else app.session()) as session:
        yield app, session, item_tenant(app, session, tenant_slug, agent, item_id)


def item_tenant(app: App, session, tenant_slug: str | None, agent: str | None, item_id: int | None):
    import os

    from ccctl.errors import InputError

    if tenant_slug or os.environ.get("CCCTL_TENANT") or not (agent and item_id):
        return app.tenant(session, tenant_slug)
    try:
        return app.tenant(session, None)
    except InputError:  # several tenants: take the item's, if the agent serves it
        from ccctl.db.models import Tenant, WorkItem
        from ccctl.queue.agents import get_agent

        served = {a.tenant_id for a in get_agent(session, agent).served}
        found = session.get(WorkItem, item_id)
        if found is None or found.tenant_id not in served:
            raise InputError(f"no item {item_id} in the tenants {agent} serves (pass --tenant SLUG)") from None
        return session.get(Tenant, found.tenant_id)


def acting_agent(session, tenant, name: str | None) -> str:
    """``name`` when it is an agent serving ``tenant``; otherwise exit 2 naming the agents who do.

    Commands that act for an agent record who did it: a free string (a typo, nobody) would
    put another agent's work on a name nobody holds.
    """
    from sqlalchemy import select

    from ccctl.db.models import Agent, AgentTenant
    from ccctl.errors import InputError

    known = session.scalars(select(Agent.name).join(AgentTenant, AgentTenant.agent_id == Agent.id)
                            .where(AgentTenant.tenant_id == tenant.id).order_by(Agent.name)).all()
    listing = ", ".join(known) if known else f"none yet: ccctl agent add NAME --serves {tenant.slug}"
    if not name:
        raise InputError(f"say which agent acts: --agent NAME or $CCCTL_AGENT (agents of {tenant.slug}: {listing})")
    if name not in known:
        raise InputError(f"agent '{name}' does not serve tenant {tenant.slug} (agents of {tenant.slug}: {listing})")
    return name


def allowed_outcome(tenant, outcome: str) -> str:
    """``outcome`` when the tenant's list (YAML ``outcomes``, defaults otherwise) has it; else exit 2."""
    from ccctl.config.model import DEFAULT_OUTCOMES
    from ccctl.errors import InputError

    allowed = tenant.config.get("outcomes") or DEFAULT_OUTCOMES
    if outcome not in allowed:
        raise InputError(f"unknown outcome '{outcome}' for tenant {tenant.slug} (allowed: {', '.join(allowed)}; "
                         f"the list is the tenant YAML's 'outcomes')")
    return outcome
