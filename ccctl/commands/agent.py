"""``ccctl agent``: add, list, set, remove the operators who claim work."""

from __future__ import annotations

import click

from ccctl.output import emit, emit_object, output_options

AGENT_COLUMNS = ["name", "display_name", "skills", "serves", "available", "capacity", "holding", "phone", "state",
                 "state_reason"]


def register(cli: click.Group) -> None:
    cli.add_command(agent)


def _split(values) -> list[str]:
    """--skill a --skill b or --skill a,b."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group()
def agent() -> None:
    """Agents: skills, the tenants they serve, availability and capacity.

    \b
    Examples:
      ccctl agent add marie --skill booking,fr --serves voyages-lumiere --capacity 2
      ccctl agent set marie --add-skill claims --unavailable
      ccctl agent list --tenant voyages-lumiere
    """


@agent.command("add")
@click.argument("name")
@click.option("--skill", "skills", multiple=True, metavar="SKILL[,SKILL]", help="Skill held (repeatable).")
@click.option("--serves", multiple=True, metavar="SLUG[,SLUG]", required=True, help="Tenant served (repeatable).")
@click.option("--capacity", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="Items the agent may hold at once.")
@click.option("--available/--unavailable", default=True, show_default=True)
@click.option("--display-name", default="", help="Full name shown to supervisors.")
@output_options
def add_cmd(name, skills, serves, capacity, available, display_name, fmt) -> None:
    """Add an agent."""
    from ccctl.commands.options import app_session
    from ccctl.queue.agents import add_agent, agent_row

    with app_session() as (_app, session):
        row = agent_row(session, add_agent(session, name, skills=_split(skills), serves=_split(serves),
                                           capacity=capacity, available=available, display_name=display_name))
    emit_object(row, fmt)


@agent.command("list")
@click.option("--tenant", "-t", "tenant_slug", envvar="CCCTL_TENANT", metavar="SLUG",
              help="Only agents serving this tenant (default: $CCCTL_TENANT, else every agent).")
@output_options
def list_cmd(tenant_slug, fmt) -> None:
    """Agents with what they hold right now."""
    from ccctl.commands.options import app_session
    from ccctl.queue.agents import agent_row, list_agents

    with app_session(commit=False) as (app, session):
        tenant = app.tenant(session, tenant_slug) if tenant_slug else None
        rows = [agent_row(session, a) for a in list_agents(session, tenant)]
    emit(rows, AGENT_COLUMNS, fmt)


@agent.command("set")
@click.argument("name")
@click.option("--skills", "skills", multiple=True, metavar="SKILL[,SKILL]", help="Replace all skills.")
@click.option("--add-skill", multiple=True, metavar="SKILL")
@click.option("--remove-skill", multiple=True, metavar="SKILL")
@click.option("--serves", multiple=True, metavar="SLUG[,SLUG]", help="Replace the tenants served.")
@click.option("--add-tenant", multiple=True, metavar="SLUG")
@click.option("--remove-tenant", multiple=True, metavar="SLUG")
@click.option("--capacity", type=click.IntRange(1, 1000))
@click.option("--available/--unavailable", default=None)
@click.option("--display-name", default=None)
@click.option("--phone", default=None, metavar="NUMBER", help="Where routed calls ring ('' clears it).")
@click.option("--state", type=click.Choice(["available", "on-call", "wrap-up", "paused"]), default=None,
              help="Only 'available' claims work; each change is kept in the agent's state history.")
@click.option("--reason", default="", metavar="TEXT", help="Why (with --state paused: lunch, training...).")
@output_options
def set_cmd(name, skills, add_skill, remove_skill, serves, add_tenant, remove_tenant, capacity, available,
            display_name, phone, state, reason, fmt) -> None:
    """Change an agent (only what you name changes).

    \b
    Examples:
      ccctl agent set marie --unavailable            # off for lunch: claims nothing
      ccctl agent set marie --add-tenant assurance-horizon --capacity 3
      ccctl agent set marie --phone "+33 6 12 34 56 78" --state available
      ccctl agent set marie --state paused --reason lunch
    """
    from ccctl.commands.options import app_session
    from ccctl.errors import InputError

    if state is not None and available is not None:
        raise InputError("give --state or --available/--unavailable, not both")
    from ccctl.queue.agents import agent_row, get_agent, update_agent

    with app_session() as (_app, session):
        found = update_agent(
            session, get_agent(session, name), skills=_split(skills) if skills else None,
            add_skills=_split(add_skill), remove_skills=_split(remove_skill),
            serves=_split(serves) if serves else None, add_serves=_split(add_tenant),
            remove_serves=_split(remove_tenant), capacity=capacity, available=available, display_name=display_name,
            phone=phone, state=state, reason=reason)
        row = agent_row(session, found)
    emit_object(row, fmt)


@agent.command("remove")
@click.argument("name")
@click.option("--release", "release_items", is_flag=True,
              help="First give the items the agent holds back to their queues (one history event each).")
@output_options
def remove_cmd(name, release_items, fmt) -> None:
    """Remove an agent who left (history keeps their name on past steps).

    Refused while the agent holds items, unless --release.

    \b
    Examples:
      ccctl agent remove marie
      ccctl agent remove marie --release
    """
    from ccctl.queue.work import remove_agent
    from ccctl.queue.cli import current_app
    from ccctl.queue.txn import immediate_session

    app = current_app()
    with immediate_session(app.engine) as session:
        released = remove_agent(app, session, name, release_items=release_items)
    emit_object({"removed": name, "released": released}, fmt)
