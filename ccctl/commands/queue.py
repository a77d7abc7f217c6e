"""``ccctl queue``: next (claim), list, show, stats, escalate."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option
from ccctl.cron import cron_command
from ccctl.output import emit, emit_object, output_options

agent_option = click.option("--agent", "-a", "agent_name", envvar="CCCTL_AGENT", metavar="NAME",
                            help="Agent acting (default: $CCCTL_AGENT).")


def register(cli: click.Group) -> None:
    cli.add_command(queue)


@click.group()
def queue() -> None:
    """The universal queue: every channel's work items, claimed by agents.

    \b
    Examples:
      ccctl queue next --agent marie            # claim the best item marie may take
      ccctl queue list -t voyages-lumiere --breached
      ccctl queue stats -t voyages-lumiere
      ccctl queue escalate --quiet              # cron, every tenant, e.g. every 5 minutes
    """


@queue.command("next")
@agent_option
@click.option("--queue", "queues", multiple=True, metavar="NAME", help="Only from this queue (repeatable).")
@tenant_option
@output_options
def next_cmd(agent_name, queues, tenant_slug, fmt) -> None:
    """Claim the best open item the agent may take, atomically (never two agents on one item).

    Best: highest priority, then earliest due time, among items of tenants the agent serves,
    whose skills the agent has, and whose not_before has passed; only while the agent holds
    fewer items than its capacity. Without --tenant every tenant the agent serves is searched.
    Prints nothing (and says why on stderr) when there is nothing to take; exit code 0.

    \b
    Example:
      ccctl queue next --agent marie --format json
    """
    from ccctl.queue.cli import current_app
    from ccctl.errors import InputError
    from ccctl.queue.claims import claim_next

    if not agent_name:
        raise InputError("say who claims: --agent NAME (or set CCCTL_AGENT)")
    app = current_app()
    with app.session() as session:
        tenant = app.tenant(session, tenant_slug) if tenant_slug else None
    claim = claim_next(app.engine, agent_name, tenant=tenant, queues=list(queues) or None, app=app)
    show_claim(app, claim, fmt, agent_name)


def show_claim(app, claim, fmt, agent_name: str | None = None) -> None:
    """Tell the tenant's plugins (``ccctl_item_claimed``: a waiting caller is put through), then print
    the item claimed (with its tenant, body and attributes), or why none was, on stderr."""
    from ccctl.db.models import Tenant, WorkItem
    from ccctl.queue.views import item_row

    if claim.item_id is None:
        click.echo(claim.reason, err=True)
        return
    extra = {}
    if agent_name:  # (ccctl_item_assigned ran inside the claim's transaction: see claim_next)
        extra = announce_claim(app, claim, agent_name)  # ccctl_item_claimed: e.g. a waiting caller put through
    with app.session() as session:
        item = session.get(WorkItem, claim.item_id)
        row = item_row(item)
        tenant = session.get(Tenant, item.tenant_id)
        row["tenant"] = tenant.slug
        row["body"] = item.body
        row["attributes"] = item.attributes
    row.update(extra)
    emit_object(row, fmt, tz=tenant.timezone)  # one clock: the tenant's, as `queue list` shows it


def announce_claim(app, claim, agent_name: str) -> dict:
    """Fire ``ccctl_item_claimed`` outside any transaction; the fields the plugins answered."""
    from ccctl.db.models import Tenant, WorkItem

    with app.session() as session:
        item = session.get(WorkItem, claim.item_id)
        ctx = app.context(session, session.get(Tenant, item.tenant_id))
        session.commit()  # the reads end here: a plugin may call out over the network
        answers = ctx.hook("ccctl_item_claimed")(item=item, agent=agent_name, ctx=ctx)
        session.commit()
    return {key: value for answer in answers if answer for key, value in answer.items()}


@queue.command("list")
@click.option("--queue", "queue_name", metavar="NAME", help="Only this queue.")
@click.option("--state", "states", multiple=True, type=click.Choice(["open", "claimed", "waiting", "closed"]),
              help="Only items in this state (repeatable; default: all but closed).")
@click.option("--breached", is_flag=True, help="Only items past their due time.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100000))
@tenant_option
@output_options
def list_cmd(queue_name, states, breached, limit, tenant_slug, fmt) -> None:
    """Items in claim order (priority, then due time) with age, due time and breach.

    \b
    Examples:
      ccctl queue list -t voyages-lumiere
      ccctl queue list -t voyages-lumiere --queue apres-vente --state claimed --format csv
    """
    from ccctl.commands.options import tenant_session
    from ccctl.queue.items import queue_spec
    from ccctl.queue.views import ITEM_COLUMNS, item_row, list_items

    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        if queue_name:
            queue_spec(app.context(session, tenant), queue_name)
        items = list_items(session, tenant, queue=queue_name, states=list(states) or ["open", "claimed", "waiting"],
                           only_breached=breached, limit=limit)
        rows = [item_row(i) for i in items]
    emit(rows, ITEM_COLUMNS, fmt, tz=tenant.timezone)


@queue.command("show")
@click.argument("name")
@tenant_option
@output_options
def show_cmd(name, tenant_slug, fmt) -> None:
    """One queue: its settings from the YAML and its live counts.

    \b
    Example:
      ccctl queue show reservations -t voyages-lumiere
    """
    from ccctl.commands.options import tenant_session
    from ccctl.queue.items import queue_spec
    from ccctl.queue.views import queue_stats

    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        spec = queue_spec(app.context(session, tenant), name)
        record = {"tenant": tenant.slug, **{k: v for k, v in spec.items() if k != "escalation"}}
        record.update({f"escalation_{k}": v for k, v in (spec.get("escalation") or {}).items()})
        record.update({k: v for k, v in queue_stats(session, tenant, name)[0].items() if k != "queue"})
        record["routing_rules"] = [r["name"] for r in tenant.config.get("routing") or [] if r["queue"] == name]
    emit_object(record, fmt, tz=tenant.timezone)


@queue.command("stats")
@tenant_option
@output_options
def stats_cmd(tenant_slug, fmt) -> None:
    """Per queue: open, scheduled (not_before ahead), claimed, waiting, breached, oldest age, next due.

    \b
    Example:
      ccctl queue stats -t voyages-lumiere --format json
    """
    from ccctl.commands.options import tenant_session
    from ccctl.queue.views import STATS_COLUMNS, queue_stats

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        rows = queue_stats(session, tenant)
    emit(rows, STATS_COLUMNS, fmt, tz=tenant.timezone)


@queue.command("escalate")
@click.option("--dry-run", is_flag=True, help="Show what would change, change nothing.")
@output_options
@cron_command("queue escalate")
def escalate_cmd(app, tenants, run, dry_run, fmt) -> None:
    """Raise the priority of late open items, or move them, as each queue's `escalation` says.

    Late: past the SLA due time, or a scheduled item (a call-back) whose not_before passed
    more than `late_after` ago; one more step per `every` of lateness. Safe to re-run: steps
    already applied are not applied again. Each tenant in its own transaction.

    \b
    Examples:
      */5 * * * *  ccctl queue escalate --quiet
      ccctl queue escalate -t voyages-lumiere --dry-run
    """
    from ccctl.queue.escalate import escalate
    from ccctl.queue.txn import immediate_session

    rows = []

    def one(tenant):
        with immediate_session(app.engine) as session:
            found = escalate(session, tenant, dry_run=dry_run)
        rows.extend({"tenant": tenant.slug, **c} for c in found)
        run.ok(tenant, escalated=len(found))

    run.each(tenants, one)
    run.emit(rows, ["tenant", "id", "from_queue", "queue", "from_priority", "priority", "level", "late_by"], fmt)
    run.note(f"{len(rows)} item(s) {'would be ' if dry_run else ''}escalated")
