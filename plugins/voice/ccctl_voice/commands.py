"""``ccctl voice``: the calls of a tenant, and the case number a customer keys for an item."""

from __future__ import annotations

import click

from ccctl.errors import DomainError

from ccctl.commands.options import tenant_option
from ccctl.output import emit, emit_object, output_options

CALL_COLUMNS = ["id", "call_sid", "from_number", "state", "outcome", "queue", "agent", "item_id", "case_item_id",
                "wait_seconds", "talk_seconds", "started_at"]


@click.group()
def voice() -> None:
    """Inbound calls: the calls a tenant received, case numbers, the agent's screen pop.

    \b
    Examples:
      ccctl voice calls -t voyages-lumiere --limit 20
      ccctl voice case-number 4711 -t voyages-lumiere      # what the customer keys
      ccctl voice pop --agent marie --follow               # customer card when a call rings
    """


@voice.command("calls")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@tenant_option
@output_options
def calls_cmd(limit, tenant_slug, fmt) -> None:
    """The tenant's latest calls, newest first, with how each ended.

    \b
    Example:
      ccctl voice calls -t voyages-lumiere --format json
    """
    from sqlalchemy import select

    from ccctl.commands.options import tenant_session
    from ccctl_voice.models import VoiceCall

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        calls = session.scalars(select(VoiceCall).where(VoiceCall.tenant_id == tenant.id)
                                .order_by(VoiceCall.started_at.desc(), VoiceCall.id.desc()).limit(limit))
        rows = [{c: getattr(call, c) for c in CALL_COLUMNS} for call in calls]
    emit(rows, CALL_COLUMNS, fmt, tz=tenant.timezone)


@voice.command("case-number")
@click.argument("item_id", type=click.IntRange(1))
@tenant_option
@output_options
def case_number_cmd(item_id, tenant_slug, fmt) -> None:
    """The digits a customer keys on the phone to reach the agent in charge of item ITEM_ID.

    \b
    Example:
      ccctl voice case-number 4711 -t voyages-lumiere
    """
    from ccctl.commands.options import tenant_session
    from ccctl.errors import InputError
    from ccctl.queue.items import get_item
    from ccctl_voice.casenumber import format_case
    from ccctl_voice.config import enabled_voice_config

    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        spec = enabled_voice_config(tenant).case_number
        item = get_item(app.context(session, tenant), item_id)
        try:
            digits = format_case(item.id, spec)
        except ValueError as exc:
            raise InputError(f"tenant {tenant.slug}: {exc} (raise plugins.voice.case_number.digits)") from None
    emit_object({"item": item_id, "case_number": digits}, fmt)


@voice.command("pop")
@click.option("--agent", "-a", "agent_name", envvar="CCCTL_AGENT", metavar="NAME", required=True,
              help="Whose calls (default: $CCCTL_AGENT).")
@click.option("--follow", "-f", is_flag=True, help="Wait for calls and show each card as it rings (Ctrl-C stops).")
@click.option("--count", type=click.IntRange(1), default=None, help="With --follow: stop after this many calls.")
@click.option("--sse-url", "sse_base", metavar="BASE_URL",
              help="Print the URL of a server-sent-events stream of these cards for a web page (needs -t).")
@tenant_option
@output_options
def pop_cmd(agent_name, follow, count, sse_base, tenant_slug, fmt) -> None:
    """The customer card of the agent's latest call put through; with --follow, each new one at once.

    The card: the caller's name and contact points, their open items, the case they keyed,
    their last interactions on every channel, the web page they came from when known.
    PostgreSQL wakes the follower with LISTEN/NOTIFY; SQLite is polled every 0.3 s.

    \b
    Examples:
      ccctl voice pop --agent marie --follow
      ccctl voice pop --agent marie --follow --format jsonl | my-crm-bridge
      ccctl voice pop --agent marie --sse-url https://cc.example.fr -t voyages-lumiere
    """
    from ccctl.output import resolve_format, to_json
    from ccctl.queue.agents import get_agent
    from ccctl.queue.cli import current_app
    from ccctl_voice.pop import as_text, card, follow as follow_pops, last_id, latest

    app = current_app()
    fmt = resolve_format(fmt)
    if sse_base:
        return _print_sse_url(app, agent_name, sse_base, tenant_slug, fmt)
    with app.session() as session:
        get_agent(session, agent_name)
        start = last_id(session, agent_name)
        cards = [] if follow else [card(session, p) for p in latest(session, agent_name, max(0, start - 1))]

    def show(found) -> None:
        if fmt in ("json", "jsonl", "csv"):  # following: one JSON line per call
            click.echo(to_json(found, indent=None if follow or fmt == "jsonl" else 2), nl=True)
        else:
            click.echo(as_text(found) + "\n")

    if not follow:
        if not cards:
            click.echo(f"no call put through to {agent_name} yet", err=True)
        for found in cards:
            show(found)
        return
    shown = 0
    click.echo(f"waiting for calls put through to {agent_name} (Ctrl-C stops)", err=True)
    try:
        for found in follow_pops(app, agent_name, start, stop=lambda: count is not None and shown >= count):
            show(found)
            shown += 1
    except KeyboardInterrupt:
        pass


@voice.command("purge-recordings")
@click.option("--all-tenants", is_flag=True, help="Every tenant with the voice plugin (the usual cron form).")
@click.option("--all-calls", is_flag=True,
              help="Every recording of the tenant (-t, archived), not only erased customers': before `tenant delete`.")
@tenant_option
@output_options
def purge_cmd(all_tenants, all_calls, tenant_slug, fmt) -> None:
    """Delete at Twilio the recordings of erased customers and of calls past retention (queued by
    `customer erase` and `retention apply`).

    Each tenant on its own: one client's failure is named on stderr and the others go on;
    exit 1 when any recording is left to delete (the next run retries it).

    With --all-calls, every recording of an archived tenant's calls is queued first, then
    deleted: `tenant delete` refuses while the tenant has recordings at Twilio.

    \b
    Examples:
      */15 * * * *  ccctl voice purge-recordings --all-tenants --format json
      ccctl voice purge-recordings -t voyages-lumiere
      ccctl voice purge-recordings -t voyages-lumiere --all-calls   # archived, before tenant delete
    """
    from ccctl.errors import CcctlError, InputError
    from ccctl.queue.cli import current_app
    from ccctl.tenant_lookup import list_tenants
    from ccctl_voice.purge import purge_tenant, queue_all_calls

    if all_calls and (all_tenants or not tenant_slug):
        raise InputError("--all-calls deletes every recording of one tenant: name it with -t SLUG "
                         "(not --all-tenants)")
    app = current_app()
    with app.session() as session:
        tenants = list_tenants(session, plugin="voice") if all_tenants else [app.tenant(session, tenant_slug)]
    if all_calls and tenants[0].archived_at is None:
        raise InputError(f"tenant {tenants[0].slug} is not archived: --all-calls deletes every recording of its "
                         f"calls, for a client whose contract ended (ccctl tenant archive {tenants[0].slug} first)")
    rows, failed = [], []
    for tenant in tenants:
        try:
            if all_calls:
                queue_all_calls(app, tenant)
            deleted, errors = purge_tenant(app, tenant)
        except (DomainError, click.ClickException) as exc:
            deleted, errors = 0, [exc.format_message()]
        rows.append({"tenant": tenant.slug, "deleted": deleted, "errors": len(errors)})
        for error in errors:
            click.echo(f"tenant {tenant.slug}: {error}", err=True)
        if errors:
            failed.append(tenant.slug)
    emit(rows, ["tenant", "deleted", "errors"], fmt)
    if failed:
        raise CcctlError(f"recordings left to delete for tenant(s) {', '.join(failed)}; the next run retries")


@voice.command("report")
@click.option("--from", "start", metavar="DATE", help="First day (YYYY-MM-DD, tenant time zone).")
@click.option("--to", "end", metavar="DATE", help="Last day, included (default: today).")
@click.option("--by", type=click.Choice(["day", "hour"]), default="day", show_default=True)
@click.option("--answer-within", "threshold", type=click.IntRange(1, 3600), default=20, show_default=True,
              metavar="SECONDS", help="Service level threshold (80/20: 20 s).")
@tenant_option
@output_options
def report_cmd(start, end, by, threshold, tenant_slug, fmt) -> None:
    """Calls per queue and day (or hour): offered, answered, abandoned, ASA, service level, talk minutes.

    \b
    Examples:
      ccctl voice report -t voyages-lumiere --from 2026-11-01 --to 2026-11-30
      ccctl voice report -t voyages-lumiere --by hour --from 2026-11-20 --to 2026-11-20 --format csv
    """
    from ccctl.commands.options import tenant_session
    from ccctl.commands.report import emit_report
    from ccctl.reports.period import day_period
    from ccctl_voice.reports import COLUMNS, call_rows

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        period = day_period(start, end, tenant.timezone)
        rows = call_rows(session, tenant, period, by, threshold)
    parameters = {"tenant": tenant.slug, "from": period.start, "to": period.end, "timezone": tenant.timezone,
                  "by": by, "answer_within_s": threshold}
    emit_report("voice", parameters, rows, COLUMNS, fmt)


def _print_sse_url(app, agent_name: str, base: str, tenant_slug: str | None, fmt: str) -> None:
    from urllib.parse import urlencode

    from ccctl.db.models import utcnow
    from ccctl.errors import InputError
    from ccctl.queue.agents import get_agent
    from ccctl_voice.stream import TOKEN_HOURS, new_token

    if not base.startswith(("http://", "https://")):
        raise InputError(f"--sse-url {base!r}: give the base URL ccctl serve is reached at, e.g. https://cc.example.fr")
    with app.transaction() as session:
        tenant = app.tenant(session, tenant_slug)
        agent = get_agent(session, agent_name)
        if tenant.id not in {a.tenant_id for a in agent.served}:
            raise InputError(f"agent {agent_name} does not serve tenant {tenant.slug}")
        token = new_token(app.context(session, tenant), agent_name, utcnow())
    url = f"{base.rstrip('/')}/t/{tenant.slug}/voice/pops?{urlencode({'agent': agent_name, 'token': token})}"
    emit_object({"url": url, "valid_hours": TOKEN_HOURS}, fmt)
