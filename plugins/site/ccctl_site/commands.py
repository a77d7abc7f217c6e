"""``ccctl webhooks``: deliver (cron), list, log, retry, replay."""

from __future__ import annotations

import click

from ccctl.errors import DomainError

from ccctl.commands.options import app_session, tenant_option, tenant_session
from ccctl.output import emit, output_options

COLUMNS = ["id", "event_id", "type", "webhook", "state", "attempts", "last_status", "next_attempt_at",
           "created_at", "delivered_at"]


def register(cli: click.Group) -> None:
    cli.add_command(webhooks)


@click.group()
def webhooks() -> None:
    """Outbound webhooks: signed JSON events sent to the URLs in the tenant's plugins.site.webhooks.

    \b
    Examples:
      ccctl webhooks deliver --all-tenants --quiet     # cron, e.g. every minute
      ccctl webhooks list -t voyages-lumiere --state failed
      ccctl webhooks retry -t voyages-lumiere --all-failed
    """


@webhooks.command("deliver")
@click.option("--all-tenants", is_flag=True, help="Every tenant that enables the site plugin (the cron form).")
@click.option("--limit", default=10_000, show_default=True, type=click.IntRange(1), help="Events per tenant per run.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing when all went well (cron).")
@tenant_option
@output_options
def deliver_cmd(all_tenants, limit, quiet, tenant_slug, fmt) -> None:
    """Send the due events (at least once, stable event ids, retried with back-off).

    Exit 1 naming each tenant whose events failed or are left for a retry (receiver down or
    answering 5xx); the other tenants are still delivered.

    \b
    Examples:
      ccctl webhooks deliver -t voyages-lumiere
      * * * * *  ccctl webhooks deliver --all-tenants --quiet
    """
    from ccctl.errors import CcctlError
    from ccctl_site.deliver import deliver_tenant

    with app_session(commit=False) as (app, session):
        tenants = _tenants(app, session, tenant_slug, all_tenants)
    rows, problems = [], []
    for tenant in tenants:
        try:
            report = deliver_tenant(app, tenant, limit)
        except (DomainError, click.ClickException) as exc:  # e.g. a webhook secret's variable is not set
            problems.append(f"{tenant.slug}: {exc.format_message()}")
            click.echo(f"error: {tenant.slug}: {exc.format_message()}", err=True)
            continue
        rows.append(report.row())
        if report.failed or report.retrying:
            detail = "; ".join(report.errors[:3])
            problems.append(f"{tenant.slug}: {report.failed} failed, {report.retrying} to retry"
                            + (f" ({detail})" if detail else ""))
    if not quiet or problems:
        emit(rows, ["tenant", "delivered", "retrying", "failed"], fmt)
    if problems:
        raise CcctlError(f"{len(problems)} tenant(s) with undelivered events: " + "; ".join(problems))


def _tenants(app, session, slug, all_tenants):
    from ccctl.errors import InputError
    from ccctl.tenant_lookup import list_tenants

    if all_tenants and slug:
        raise InputError("give --tenant or --all-tenants, not both")
    if not all_tenants:
        return [app.tenant(session, slug)]
    return list_tenants(session, plugin="site")


@webhooks.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(["pending", "sending", "delivered", "failed"]))
@click.option("--type", "types", multiple=True, metavar="EVENT", help="e.g. item.created (repeatable).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@tenant_option
@output_options
def list_cmd(states, types, limit, tenant_slug, fmt) -> None:
    """The tenant's outbound events, newest first.

    \b
    Example:
      ccctl webhooks list -t voyages-lumiere --state failed --format json
    """
    from sqlalchemy import select

    from ccctl_site.models import WebhookEvent

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        query = select(WebhookEvent).where(WebhookEvent.tenant_id == tenant.id)
        if states:
            query = query.where(WebhookEvent.state.in_(states))
        if types:
            query = query.where(WebhookEvent.event_type.in_(types))
        rows = [_row(r) for r in session.scalars(query.order_by(WebhookEvent.id.desc()).limit(limit))]
        zone = tenant.timezone
    emit(rows, _columns(fmt), fmt, tz=zone)


def _columns(fmt) -> list[str]:
    """Scripts get the error and the payload as sent; a table stays one line per event."""
    from ccctl.output import resolve_format

    return COLUMNS if resolve_format(fmt) in ("table", "csv") else [*COLUMNS, "last_error", "payload"]


def _row(row) -> dict:
    return {"id": row.id, "event_id": row.event_id, "type": row.event_type, "webhook": row.webhook,
            "state": row.state, "attempts": row.attempts, "last_status": row.last_status,
            "last_error": row.last_error, "next_attempt_at": row.next_attempt_at, "created_at": row.created_at,
            "delivered_at": row.delivered_at, "payload": row.payload}


@webhooks.command("log")
@click.argument("event_id", required=False)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@tenant_option
@output_options
def log_cmd(event_id, limit, tenant_slug, fmt) -> None:
    """The delivery log (one line per HTTP attempt), newest first; EVENT_ID narrows it to one event.

    \b
    Example:
      ccctl webhooks log -t voyages-lumiere 5c1d8e0e-...
    """
    from sqlalchemy import select

    from ccctl_site.models import WebhookAttempt, WebhookEvent

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        query = (select(WebhookAttempt, WebhookEvent).join(WebhookEvent, WebhookAttempt.outbox_id == WebhookEvent.id)
                 .where(WebhookAttempt.tenant_id == tenant.id))
        if event_id:
            query = query.where(WebhookEvent.event_id == event_id)
        rows = [{"at": a.attempted_at, "event_id": e.event_id, "type": e.event_type, "webhook": e.webhook,
                 "status": a.status, "error": a.error, "ms": a.duration_ms}
                for a, e in session.execute(query.order_by(WebhookAttempt.id.desc()).limit(limit))]
        zone = tenant.timezone
    emit(rows, ["at", "event_id", "type", "webhook", "status", "error", "ms"], fmt, tz=zone)


@webhooks.command("retry")
@click.argument("event_ids", nargs=-1)
@click.option("--all-failed", is_flag=True, help="Every failed event of the tenant.")
@tenant_option
@output_options
def retry_cmd(event_ids, all_failed, tenant_slug, fmt) -> None:
    """Send failed events again at the next delivery (same event ids).

    \b
    Examples:
      ccctl webhooks retry -t voyages-lumiere 5c1d8e0e-...
      ccctl webhooks retry -t voyages-lumiere --all-failed
    """
    _requeue(event_ids, all_failed, ("failed",), tenant_slug, fmt)


@webhooks.command("replay")
@click.argument("event_ids", nargs=-1, required=True)
@tenant_option
@output_options
def replay_cmd(event_ids, tenant_slug, fmt) -> None:
    """Send events again even though they were delivered (a receiver lost them); same event ids,
    so a receiver that dedupes ignores what it already has.

    \b
    Example:
      ccctl webhooks replay -t voyages-lumiere 5c1d8e0e-... 9f00a1b2-...
    """
    _requeue(event_ids, False, ("delivered", "failed"), tenant_slug, fmt)


def _requeue(event_ids, every, from_states, tenant_slug, fmt) -> None:
    from sqlalchemy import select

    from ccctl.db.models import utcnow
    from ccctl.errors import InputError
    from ccctl_site.models import PENDING, WebhookEvent

    if not event_ids and not every:
        raise InputError("name the events (EVENT_ID ...) or pass --all-failed")
    with tenant_session(tenant_slug) as (_app, session, tenant):
        query = select(WebhookEvent).where(WebhookEvent.tenant_id == tenant.id)
        if event_ids:
            query = query.where(WebhookEvent.event_id.in_(event_ids))
        else:
            query = query.where(WebhookEvent.state.in_(from_states))
        found = list(session.scalars(query))
        missing = sorted(set(event_ids) - {r.event_id for r in found})
        if missing:
            raise InputError(f"no event {', '.join(missing)} for tenant {tenant.slug} (see ccctl webhooks list)")
        wrong = [r for r in found if r.state not in from_states]
        if wrong:
            raise InputError(f"event {wrong[0].event_id} is {wrong[0].state}, not {' or '.join(from_states)}")
        now = utcnow()
        for row in found:
            row.state, row.next_attempt_at, row.attempts = PENDING, now, 0
        rows = [_row(r) for r in found]
        zone = tenant.timezone
    click.echo(f"{len(rows)} event(s) queued for the next delivery", err=True)
    emit(rows, _columns(fmt), fmt, tz=zone)
