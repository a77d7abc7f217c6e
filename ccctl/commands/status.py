"""``ccctl status``: is every tenant able to run its cron jobs? (for people and monitoring)."""

from __future__ import annotations

import click

from ccctl.output import output_options

COLUMNS = ["tenant", "check", "status", "detail"]


def register(cli: click.Group) -> None:
    cli.add_command(status)


@click.command("status")
@click.option("--tenant", "-t", "tenant_slug", envvar="CCCTL_TENANT", metavar="SLUG",
              help="Only this tenant (default: $CCCTL_TENANT, else every tenant).")
@click.option("--all-tenants", is_flag=True, help="Every tenant (the default; wins over $CCCTL_TENANT).")
@click.option("--stale-after", multiple=True, metavar="[JOB=]DURATION",
              help="A cron job with no successful run for this long is a problem: a duration for every job "
                   "(default 2h; retention apply 2d, faq sync 1d) or JOB=DURATION, e.g. 'sms sync=1h'. Repeatable.")
@click.option("--no-probe", is_flag=True, help="Do not contact providers (no network).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when every check passes.")
@output_options
def status(tenant_slug, all_tenants, stale_after, no_probe, quiet, fmt) -> None:
    """Check each tenant: settings, secrets, provider reachable (with a timeout), SMS outbox and
    mail backlog, stuck rows, queue backlog, and the last successful run of each cron job.

    Exit codes: 0 every check passed; 1 at least one PROBLEM (stderr names the tenants); 2 bad
    usage. Meant for monitoring (Nagios/Icinga-style check, a systemd timer, a cron MAILTO).

    \b
    Examples:
      ccctl status
      ccctl status -t voyages-lumiere --format json
      ccctl status --quiet --stale-after 30m     # monitoring: silent and 0 when healthy
    """
    from ccctl.context import App
    from ccctl.cron import select_tenants
    from ccctl.errors import CcctlError, InputError
    from ccctl.health import tenant_checks
    from ccctl.output import emit, resolve_format

    from ccctl.health import stale_limits

    try:
        stale = stale_limits(stale_after)
    except ValueError as exc:
        raise InputError(f"--stale-after: {exc}") from None
    app = click.get_current_context().find_object(App)
    with app.transaction(commit=False) as session:
        tenants = select_tenants(app, session, tenant_slug, all_tenants, None)
        session.expunge_all()
    checks = [c for tenant in tenants for c in tenant_checks(app, tenant, stale, probe=not no_probe)]
    bad = [c for c in checks if not c.ok]
    if not (quiet and not bad):
        # A table stays narrow; machine formats also get each check's figures (due, stuck, last_ok...).
        rows, kind = [c.row() for c in checks], resolve_format(fmt)
        if kind in ("json", "jsonl"):  # each check with its own figures, no empty columns
            from ccctl.output import to_json

            click.echo(to_json(rows) if kind == "json" else "\n".join(to_json(r, indent=None) for r in rows))
        else:
            emit(rows, COLUMNS if kind == "table" else list(dict.fromkeys(k for r in rows for k in r)), fmt)
    for check in bad:
        click.echo(f"problem: tenant {check.tenant}: {check.check}: {check.detail}", err=True)
    if bad:
        names = ", ".join(sorted({c.tenant for c in bad}))
        raise CcctlError(f"{len(bad)} problem(s) in tenant(s): {names}")
