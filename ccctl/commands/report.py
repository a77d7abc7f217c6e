"""``ccctl report``: KPIs, billing, staffing (Erlang C) and referral attribution."""

from __future__ import annotations

import click

from ccctl.commands.options import actor_option, tenant_option
from ccctl.output import output_options

from_option = click.option("--from", "start", metavar="DATE", help="First day (YYYY-MM-DD, tenant time zone).")
to_option = click.option("--to", "end", metavar="DATE", help="Last day, included (default: today).")


def register(cli: click.Group) -> None:
    cli.add_command(report)


@click.group()
def report() -> None:
    """Reports for clients and planners: KPIs, billing, staffing, attribution."""


@report.command("kpi")
@tenant_option
@from_option
@to_option
@click.option("--by", type=click.Choice(["day", "hour"]), default="day", show_default=True)
@click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True),
              help="Also write a self-contained HTML report with charts to this file.")
@click.option("--wide", is_flag=True, help="A table with every column (default: the main ones, to fit 120 columns).")
@actor_option
@output_options
def kpi_cmd(tenant_slug, start, end, by, html_file, wide, actor, fmt) -> None:
    """Volumes per channel and queue, SLA, first response, backlog, FCR, call-back reach, deflection.

    One row per day (or hour) up to now and a total row; definitions in docs/reports.md.
    A table shows the main columns (--wide, csv and json: all); JSON also gives the
    parameters used.

    \b
    Examples:
      ccctl report kpi -t voyages-lumiere --from 2026-11-01 --to 2026-11-30
      ccctl report kpi -t voyages-lumiere --by hour --from 2026-11-20 --to 2026-11-20 --format csv
      ccctl report kpi -t voyages-lumiere --html kpi.html
    """
    from ccctl.audit import audit
    from ccctl.commands.options import tenant_session
    from ccctl.errors import InputError
    from ccctl.reports.kpi import TABLE_COLUMNS, kpi_rows
    from ccctl.reports.period import day_period

    with tenant_session(tenant_slug) as (app, session, tenant):
        period = day_period(start, end, tenant.timezone)
        if by == "hour" and period.end - period.start > _days(62):
            raise InputError("--by hour covers at most 62 days; narrow --from/--to or use --by day")
        rows, columns = kpi_rows(session, tenant, period, by, ctx=app.context(session, tenant))
        audit(session, tenant.id, actor, "report.kpi", f"tenant:{tenant.slug}",
              {"from": period.start, "to": period.end, "by": by, "html": bool(html_file)})
        name, locale = tenant.name, tenant.config.get("locale")
    if html_file:
        from ccctl.reports.html import kpi_page

        with open(html_file, "w", encoding="utf-8") as out:
            out.write(kpi_page(name, period.label(), by, rows, columns, locale))
        click.echo(f"wrote {html_file}", err=True)
    parameters = {"tenant": tenant.slug, "from": period.start, "to": period.end, "by": by, "timezone": tenant.timezone}
    emit_report("kpi", parameters, rows, columns, fmt, table_columns=None if wide else TABLE_COLUMNS)


@report.command("billing")
@click.option("--month", required=True, metavar="YYYY-MM", help="Calendar month to invoice.")
@tenant_option
@actor_option
@output_options
def billing_cmd(month, tenant_slug, actor, fmt) -> None:
    """Invoice lines per tenant for a month, priced with the 'billing' rates of each tenant's YAML.

    Without --tenant (and $CCCTL_TENANT) every tenant is invoiced. Amounts are decimals
    rounded half-up to the cent per line; the total adds the rounded lines.

    \b
    Examples:
      ccctl report billing --month 2026-11
      ccctl report billing --month 2026-11 -t voyages-lumiere --format csv > invoice.csv
    """
    from ccctl.audit import audit
    from ccctl.commands.options import app_session
    from ccctl.reports.billing import COLUMNS, invoice
    from ccctl.reports.period import month_period
    from ccctl.tenant_lookup import list_tenants

    month_period(month, "UTC")  # bad input fails before anything is read
    rows, notes = [], []
    with app_session() as (app, session):
        tenants = [app.tenant(session, tenant_slug)] if tenant_slug else list_tenants(session)
        for tenant in tenants:
            lines, tenant_notes = invoice(app, session, tenant, month)
            rows += lines
            notes += tenant_notes
            total = lines[-1]["amount"]
            audit(session, tenant.id, actor, "report.billing", f"tenant:{tenant.slug}",
                  {"month": month, "total": str(total), "currency": lines[-1]["currency"]})
    for note in notes:
        click.echo(f"note: {note}", err=True)
    emit_report("billing", {"month": month, "tenants": [t.slug for t in tenants], "notes": notes},
                [{k: (str(v) if k in ("quantity", "unit_price", "amount") and v is not None else v)
                  for k, v in row.items()} for row in rows], COLUMNS, fmt)


@report.command("staffing")
@tenant_option
@click.option("--target", default="80/20", show_default=True, metavar="PCT/SECONDS",
              help="Service level: PCT percent of contacts answered within SECONDS.")
@click.option("--date", "day", metavar="DATE", help="Day to staff (YYYY-MM-DD; default: tomorrow).")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(5, 240), help="Minutes.")
@click.option("--weeks", default=4, show_default=True, type=int, help="Weeks of history to forecast from.")
@click.option("--aht", type=click.FloatRange(1, 86400), help="Handling time in seconds (default: measured).")
@click.option("--channel", help="Only items of this channel.")
@click.option("--queue", help="Only items of this queue.")
@click.option("--model", type=click.Choice(["erlang-c", "erlang-a"]), default="erlang-c", show_default=True,
              help="erlang-a: callers hang up after a while (patience measured, or --patience).")
@click.option("--patience", type=click.FloatRange(1, 86400), help="Mean patience in seconds (erlang-a).")
@click.option("--agents", "per_agent", is_flag=True,
              help="Instead: occupancy and adherence per agent over --from/--to (from the state history).")
@from_option
@to_option
@click.option("--wide", is_flag=True, help="With --agents: a table with every column.")
@actor_option
@output_options
def staffing_cmd(tenant_slug, target, day, interval, weeks, aht, channel, queue, model, patience, per_agent,
                 start, end, wide, actor, fmt) -> None:
    """Agents needed per interval (Erlang C, or Erlang A) beside the agents on shift;
    with --agents, each agent's occupancy and adherence over a past period.

    Arrivals per interval are the mean of the same weekday and time over the last
    --weeks weeks; the handling time is the mean claim-to-close time of those weeks.
    Erlang A takes the callers' patience from the same weeks (abandoned items ÷ time
    waited) unless --patience is given; with no abandonment measured it is Erlang C.

    --agents (period: --from/--to, default the last 7 days up to now): occupancy = time on a
    call, in wrap-up or holding an item ÷ time logged in (not paused); adherence = time
    logged in during the tenant's business hours ÷ those hours (ccctl keeps no shift plan).
    Definitions in docs/reports.md.

    \b
    Examples:
      ccctl report staffing -t voyages-lumiere --target 80/20
      ccctl report staffing -t voyages-lumiere --date 2026-11-30 --interval 60 --aht 240
      ccctl report staffing -t voyages-lumiere --channel voice --model erlang-a
      ccctl report staffing -t voyages-lumiere --agents --from 2026-11-01 --to 2026-11-30
    """
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from ccctl.audit import audit
    from ccctl.commands.options import tenant_session
    from ccctl.errors import InputError
    from ccctl.reports.period import parse_day
    from ccctl.reports.staffing import Target, staffing_rows

    if per_agent:
        return _agents_report(tenant_slug, start, end, wide, actor, fmt)
    if start or end or wide:
        raise InputError("--from, --to and --wide go with --agents (the forecast is for one --date)")
    wanted = Target.parse(target)
    with tenant_session(tenant_slug) as (_app, session, tenant):
        when = parse_day(day, "--date") if day else \
            datetime.now(ZoneInfo(tenant.timezone)).date() + timedelta(days=1)
        if patience and model != "erlang-a":
            raise InputError("--patience is for --model erlang-a")
        rows, summary = staffing_rows(session, tenant, when, wanted, interval, weeks, aht,
                                      channel=channel, queue=queue, model=model, patience_seconds=patience)
        audit(session, tenant.id, actor, "report.staffing", f"tenant:{tenant.slug}", summary)
    click.echo(", ".join(f"{k}: {v}" for k, v in summary.items()), err=True)
    parameters = {"tenant": tenant.slug, "channel": channel, "queue": queue, **summary}
    emit_report("staffing", parameters, rows, ["interval", "arrivals", "erlangs", "agents_needed",
                                               "service_level_pct", "asa_s", "abandon_pct", "on_shift", "gap"],
                fmt)


def _agents_report(tenant_slug, start, end, wide, actor, fmt) -> None:
    """``report staffing --agents``: per-agent occupancy and adherence (ccctl.reports.occupancy)."""
    from ccctl.audit import audit
    from ccctl.commands.options import tenant_session
    from ccctl.errors import InputError
    from ccctl.db.models import utcnow
    from ccctl.reports.occupancy import COLUMNS, TABLE_COLUMNS, agent_rows
    from ccctl.reports.period import day_period

    from click.core import ParameterSource

    forecast_only = {"target": "--target", "day": "--date", "interval": "--interval", "weeks": "--weeks",
                     "aht": "--aht", "channel": "--channel", "queue": "--queue", "model": "--model",
                     "patience": "--patience"}
    context = click.get_current_context()
    given = [flag for name, flag in forecast_only.items()
             if context.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if given:
        raise InputError(f"{', '.join(given)}: not with --agents (they shape the forecast of one day)")
    with tenant_session(tenant_slug) as (_app, session, tenant):
        period = day_period(start, end, tenant.timezone)
        now = utcnow()
        if period.start >= now:
            raise InputError(f"--from {period.label().split('..')[0]} is in the future: occupancy is measured, "
                             "not forecast")
        rows = agent_rows(session, tenant, period, now)
        parameters = {"tenant": tenant.slug, "from": period.start, "to": min(period.end, now),
                      "timezone": tenant.timezone, "schedule": "business_hours",
                      "holidays": tenant.config.get("holidays"),
                      "occupancy": "(on_call + wrap_up + items) / logged_in",
                      "adherence": "logged_in during business hours / business hours"}
        audit(session, tenant.id, actor, "report.staffing", f"tenant:{tenant.slug}",
              {"agents": len(rows) - 1, "from": period.start, "to": parameters["to"]})
    click.echo(f"period: {period.label()} ({tenant.timezone}), up to now; schedule: the tenant's business hours",
               err=True)
    emit_report("staffing", parameters, rows, COLUMNS, fmt, table_columns=None if wide else TABLE_COLUMNS)


@report.command("attribution")
@tenant_option
@from_option
@to_option
@click.option("--outcome", "outcomes", multiple=True, metavar="OUTCOME",
              help="Outcome counted as a conversion (repeatable; default: sale, booked, converted).")
@actor_option
@output_options
def attribution_cmd(tenant_slug, start, end, outcomes, actor, fmt) -> None:
    """Contacts and conversions per referral/partner code, split into web, email and phone.

    \b
    Examples:
      ccctl report attribution -t voyages-lumiere --from 2026-11-01 --to 2026-11-30
      ccctl report attribution -t voyages-lumiere --outcome booked --format csv
    """
    from ccctl.audit import audit
    from ccctl.commands.options import tenant_session
    from ccctl.reports.attribution import COLUMNS, CONVERSIONS, attribution_rows
    from ccctl.reports.period import day_period

    with tenant_session(tenant_slug) as (_app, session, tenant):
        period = day_period(start, end, tenant.timezone, default_days=30)
        rows = attribution_rows(session, tenant, period, tuple(outcomes) or CONVERSIONS)
        audit(session, tenant.id, actor, "report.attribution", f"tenant:{tenant.slug}",
              {"from": period.start, "to": period.end})
    emit_report("attribution", {"tenant": tenant.slug, "from": period.start, "to": period.end,
                                "conversions": list(outcomes or CONVERSIONS)}, rows, COLUMNS, fmt)


def emit_report(name: str, parameters: dict, rows: list[dict], columns: list[str], fmt: str | None,
                table_columns: list[str] | None = None) -> None:
    """``--format json``: one object with the report's name, the parameters it used and its rows
    (a figure without its period or handling time cannot be checked); other formats: the rows,
    a table limited to ``table_columns`` when given."""
    from ccctl.output import emit, emit_object, resolve_format

    shape = resolve_format(fmt)
    if shape == "json":
        picked = [{c: row.get(c) for c in columns} for row in rows]
        return emit_object({"report": name, "parameters": parameters, "rows": picked}, fmt)
    if shape == "table" and table_columns is not None:
        hidden = [c for c in columns if c not in table_columns]
        if hidden:
            click.echo(f"({len(hidden)} more columns: --wide, --format csv or json)", err=True)
        columns = [c for c in columns if c in table_columns]
    emit(rows, columns, fmt)


def _days(count: int):
    from datetime import timedelta

    return timedelta(days=count)
