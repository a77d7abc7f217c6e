"""``ccctl item``: show, release, park (wait), transfer, close one work item."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option
from ccctl.commands.queue import agent_option
from ccctl.output import emit_object, output_options

note_option = click.option("--note", default="", help="Free text kept in the customer's history.")
force_option = click.option("--force", is_flag=True,
                            help="Act on an item another agent holds: it is taken over first, recorded as forced.")


def register(cli: click.Group) -> None:
    cli.add_command(item)


@click.group()
def item() -> None:
    """One work item: show it, release it, park it waiting, transfer it, close it.

    \b
    Examples:
      ccctl item show 4711
      ccctl item close 4711 --outcome resolved --note "refund sent" --agent marie
      ccctl item transfer 4711 --queue apres-vente --note "needs a refund"
      ccctl item release 4711 --agent marie
      ccctl item wait 4711 --agent marie --note "asked for the booking reference"

    Every command but `show` acts for a known agent (--agent or $CCCTL_AGENT) and refuses an
    item another agent holds unless --force.
    """


def _acting(ctx, agent_name: str, item_id: int, force: bool):
    """(agent, item): the known agent acting, and the item locked, taken over first with --force."""
    from ccctl.queue.cli import acting_agent
    from ccctl.queue.work import lock_item, take_over

    agent = acting_agent(ctx.session, ctx.tenant, agent_name)
    ctx.actor = agent
    found = lock_item(ctx, item_id)
    return agent, (take_over(ctx, found, agent) if force else found)


def _done(row_item, fmt, tz) -> None:
    from ccctl.queue.views import item_row

    emit_object(item_row(row_item), fmt, tz=tz)


@item.command("show")
@click.argument("item_id", type=int)
@agent_option
@tenant_option
@output_options
def show_cmd(item_id, agent_name, tenant_slug, fmt) -> None:
    """An item with its age, due time, breach, and its steps (claims, transfers, escalations...)."""
    from sqlalchemy import select

    from ccctl.db.models import Interaction
    from ccctl.queue.cli import item_session
    from ccctl.queue.items import get_item
    from ccctl.queue.views import item_row

    with item_session(tenant_slug, agent=agent_name, item_id=item_id, write=False) as (app, session, tenant):
        found = get_item(app.context(session, tenant), item_id)
        record = {"tenant": tenant.slug, **item_row(found), "body": found.body, "attributes": found.attributes}
        steps = session.scalars(select(Interaction).where(
            Interaction.tenant_id == tenant.id, Interaction.item_id == found.id).order_by(Interaction.occurred_at,
                                                                                         Interaction.id))
        record["history"] = [{"at": i.occurred_at, "channel": i.channel, "actor": i.actor or "",
                              "summary": i.summary} for i in steps]
        record["suggestions"] = _suggestions(app.context(session, tenant), found)
    emit_object(record, fmt, tz=tenant.timezone)


def _suggestions(ctx, found) -> list[dict]:
    """What the tenant's plugins suggest for this item (FAQ articles...), best first."""
    from ccctl.plugins import call_hook

    text = f"{found.subject}\n{found.body}".strip()
    if found.state == "closed" or not text:
        return []
    found_by = [{"plugin": plugin, "title": str(s.get("title", "")), "url": str(s.get("url", "")),
                 "score": s.get("score")}
                for plugin, suggestions in call_hook(ctx, "ccctl_suggest_answers", item=found, text=text)
                for s in suggestions or () if isinstance(s, dict)]
    return sorted(found_by, key=lambda s: -(s["score"] or 0))


@item.command("release")
@click.argument("item_id", type=int)
@agent_option
@force_option
@note_option
@tenant_option
@output_options
def release_cmd(item_id, agent_name, force, note, tenant_slug, fmt) -> None:
    """Give a claimed (or waiting) item back to its queue (with --agent: only if that agent holds it)."""
    from ccctl.queue.cli import item_session
    from ccctl.queue.work import release

    with item_session(tenant_slug, agent=agent_name, item_id=item_id) as (app, session, tenant):
        ctx = app.context(session, tenant)
        agent, found = _acting(ctx, agent_name, item_id, force)
        done = release(ctx, found, agent=agent, note=note)
    _done(done, fmt, tenant.timezone)


@item.command("wait")
@click.argument("item_id", type=int)
@agent_option
@force_option
@note_option
@tenant_option
@output_options
def wait_cmd(item_id, agent_name, force, note, tenant_slug, fmt) -> None:
    """Park an item waiting for the customer: out of the agent's hands and out of the queue.

    The customer's next email puts it back in the queue; `item release` or `item transfer`
    does too. With --agent: only if that agent holds it (or nobody does).

    \b
    Example:
      ccctl item wait 4711 --agent marie --note "asked for the booking reference"
    """
    from ccctl.queue.cli import item_session
    from ccctl.queue.work import park

    with item_session(tenant_slug, agent=agent_name, item_id=item_id) as (app, session, tenant):
        ctx = app.context(session, tenant)
        agent, found = _acting(ctx, agent_name, item_id, force)
        done = park(ctx, found, agent=agent, note=note)
    _done(done, fmt, tenant.timezone)


@item.command("transfer")
@click.argument("item_id", type=int)
@click.option("--queue", "queue_name", metavar="NAME", help="Queue to move it to (it is open there).")
@click.option("--to-agent", metavar="NAME", help="Agent to hand it to (it is claimed by them).")
@agent_option
@force_option
@note_option
@tenant_option
@output_options
def transfer_cmd(item_id, queue_name, to_agent, agent_name, force, note, tenant_slug, fmt) -> None:
    """Move an item to another queue and/or hand it to another agent.

    \b
    Examples:
      ccctl item transfer 4711 --queue apres-vente --note "refund request"
      ccctl item transfer 4711 --to-agent paul --agent marie
    """
    from ccctl.queue.cli import item_session
    from ccctl.queue.work import transfer

    with item_session(tenant_slug, agent=agent_name, item_id=item_id) as (app, session, tenant):
        ctx = app.context(session, tenant)
        agent, found = _acting(ctx, agent_name, item_id, force)
        done = transfer(ctx, found, queue=queue_name, to_agent=to_agent, agent=agent, note=note)
    _done(done, fmt, tenant.timezone)


@item.command("close")
@click.argument("item_id", type=int)
@click.option("--outcome", required=True, metavar="WORD",
              help="One of the tenant's outcomes (YAML 'outcomes'; default resolved, info-sent, sale, no-answer, "
                   "wrong-number, cancelled, duplicate, spam).")
@click.option("--next", "take_next", is_flag=True,
              help="Then claim the agent's next item and print it, as `queue next` does (needs --agent).")
@click.option("--send", "sends", multiple=True, metavar="KIND:NAME",
              help="Also send this to the customer through a plugin, e.g. brochure:japon (repeatable).")
@agent_option
@force_option
@note_option
@tenant_option
@output_options
def close_cmd(item_id, outcome, take_next, sends, agent_name, force, note, tenant_slug, fmt) -> None:
    """Close an item with an outcome; plugins hear of it (ccctl_item_closed).

    With --next the agent goes straight on to their next item ("wrap up, next"): on
    PostgreSQL the close and the claim are one round trip and one commit.

    \b
    Examples:
      ccctl item close 4711 --outcome resolved --note "booking moved to 12 May"
      ccctl item close 4711 --outcome resolved --agent marie --next --format json
      ccctl item close 4711 --outcome info-sent --send brochure:japon --agent marie
    """
    from ccctl.queue.cli import allowed_outcome, item_session
    from ccctl.queue.closing import close

    if take_next and sends:
        from ccctl.errors import InputError

        raise InputError("--send and --next go in two commands: close with --send, then `queue next`")
    if take_next:
        return _close_and_next(item_id, outcome, agent_name, force, note, tenant_slug, fmt)
    with item_session(tenant_slug, agent=agent_name, item_id=item_id) as (app, session, tenant):
        ctx = app.context(session, tenant)
        allowed_outcome(tenant, outcome)
        agent, found = _acting(ctx, agent_name, item_id, force)
        for what in sends:  # in the close's transaction: a refused send closes nothing
            _send(ctx, found, what)
        done = close(ctx, found, outcome=outcome, agent=agent, note=note)
    _done(done, fmt, tenant.timezone)


def _send(ctx, item, what: str) -> None:
    from ccctl.errors import InputError

    if ":" not in what:
        raise InputError(f"--send {what}: give KIND:NAME, e.g. brochure:japon")
    done = ctx.hook("ccctl_item_send")(item=item, what=what, ctx=ctx)
    if done is None:
        raise InputError(f"--send {what}: no plugin enabled for tenant {ctx.tenant.slug} sends that")
    click.echo(done, err=True)


def _close_and_next(item_id, outcome, agent_name, force, note, tenant_slug, fmt) -> None:
    from sqlalchemy.orm import Session

    from ccctl.commands.queue import show_claim
    from ccctl.errors import CcctlError, InputError
    from ccctl.queue.autonext import close_and_claim_next, close_on
    from ccctl.queue.claims import Claim, claimer
    from ccctl.queue.cli import acting_agent, allowed_outcome, item_session

    if not agent_name:
        raise InputError("--next claims for an agent: say who with --agent NAME (or set CCCTL_AGENT)")
    # Which tenant (the usual rules and errors), the agent and outcome checked; with --force the
    # take-over commits first, so the close below finds the item held by this agent.
    with item_session(tenant_slug, agent=agent_name, item_id=item_id, write=force) as (app, session, tenant):
        allowed_outcome(tenant, outcome)
        if force:
            _acting(app.context(session, tenant), agent_name, item_id, force)
        else:
            acting_agent(session, tenant, agent_name)
    with app.engine.connect() as conn, Session(conn) as session:
        try:
            who = claimer(conn, agent_name)
        except CcctlError as exc:  # e.g. unavailable: the close still happens, nothing is taken
            conn.rollback()
            close_on(app, conn, tenant, item_id, agent=agent_name, outcome=outcome, note=note)
            claim = Claim(None, reason=exc.format_message())
        else:
            conn.commit()
            claim = close_and_claim_next(app.context(session, tenant), conn, item_id, who, outcome=outcome, note=note)
    click.echo(f"closed item {item_id}: {outcome}", err=True)
    show_claim(app, claim, fmt, agent_name)
