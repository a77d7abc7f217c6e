"""``ccctl audit`` (who did what) and the data-protection commands ``customer export|erase``."""

from __future__ import annotations

import click

from ccctl.commands.options import actor_option, tenant_option
from ccctl.output import output_options



def register(cli: click.Group) -> None:
    cli.add_command(audit_cmd)
    # The customer group is core's; the data-protection commands live here with the audit log.
    customer = cli.commands["customer"]
    customer.add_command(export_cmd)
    customer.add_command(erase_cmd)


@click.command("audit")
@click.option("--tenant", "-t", "tenant_slug", metavar="SLUG", help="Only this tenant's entries (default: all).")
@click.option("--since", metavar="DATE", help="Entries from this day on (YYYY-MM-DD, UTC).")
@click.option("--action", metavar="PREFIX", help="Only actions starting with PREFIX (e.g. customer.).")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100000))
@output_options
def audit_cmd(tenant_slug, since, action, limit, fmt) -> None:
    """Who exported, erased or ran a report, newest first.

    \b
    Examples:
      ccctl audit --tenant voyages-lumiere --since 2026-11-01
      ccctl audit --action customer.erase --format json
    """
    from datetime import datetime, time, timezone

    from ccctl.audit import entries
    from ccctl.commands.options import app_session
    from ccctl.output import emit
    from ccctl.reports.period import parse_day

    start = datetime.combine(parse_day(since, "--since"), time(0), timezone.utc) if since else None
    with app_session(commit=False) as (app, session):
        tenant = app.tenant(session, tenant_slug) if tenant_slug else None
        rows = entries(session, tenant, start, action, limit)
    emit(rows, ["at", "tenant", "actor", "action", "target", "details"], fmt)


@click.command("export")
@click.argument("customer_id", type=int)
@tenant_option
@actor_option
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), default="json", show_default=True,
              help="Indented JSON, or one line.")
def export_cmd(customer_id, tenant_slug, actor, fmt) -> None:
    """Everything held about a person, as JSON: core rows and every plugin's part.

    Customers merged into this one are included; a merged id leads to the person.

    \b
    Example:
      ccctl customer export 88 -t voyages-lumiere > dsar-88.json
    """
    from ccctl.audit import audit
    from ccctl.commands.options import tenant_session
    from ccctl.output import to_json
    from ccctl.privacy import export_person

    with tenant_session(tenant_slug) as (app, session, tenant):
        _not_erased(session, tenant, customer_id)
        data = export_person(_context(app, session, tenant, actor), customer_id)
        ids = [data["customer"]["id"]] + [c["id"] for c in data["merged_customers"]]
        audit(session, tenant.id, actor, "customer.export", f"customer:{customer_id}",
              {"customers": ids, "interactions": len(data["interactions"]), "work_items": len(data["work_items"]),
               "plugins": sorted({p for c in [data["customer"], *data["merged_customers"]] for p in c["plugins"]})})
    click.echo(to_json(data, indent=2 if fmt == "json" else None))


@click.command("erase")
@click.argument("customer_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@tenant_option
@actor_option
@output_options
def erase_cmd(customer_id, yes, tenant_slug, actor, fmt) -> None:
    """Erase a person everywhere: core rows, every plugin (enabled or not), every mention.

    Work items and interactions stay for the figures, emptied of text and detached.
    This cannot be undone: run `customer export` first if the person asked for a copy.

    \b
    Example:
      ccctl customer erase 88 -t voyages-lumiere --yes
    """
    from ccctl.audit import audit
    from ccctl.commands.options import tenant_session
    from ccctl.output import emit_object
    from ccctl.privacy import erase_person

    with tenant_session(tenant_slug) as (app, session, tenant):
        _not_erased(session, tenant, customer_id)
        if not yes:
            click.confirm(f"Erase customer {customer_id} of {tenant.slug} and everything about them?",
                          abort=True, err=True)
        result = erase_person(_context(app, session, tenant, actor), customer_id)
        audit(session, tenant.id, actor, "customer.erase", f"customer:{customer_id}", result)
        sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        _checkpoint(app)
    emit_object({"erased": customer_id, **result}, fmt)


def _not_erased(session, tenant, customer_id: int) -> None:
    """A clear message for an id erased before (the audit log remembers, without the person)."""
    from sqlalchemy import select

    from ccctl.db.models import AuditEntry, Customer
    from ccctl.errors import CcctlError

    if session.get(Customer, customer_id) is not None:
        return
    erasures = session.scalars(select(AuditEntry).where(
        AuditEntry.tenant_id == tenant.id, AuditEntry.action == "customer.erase").order_by(AuditEntry.at.desc()))
    for entry in erasures:
        if customer_id in (entry.details or {}).get("customers", []):
            raise CcctlError(f"customer {customer_id} was erased on {entry.at:%Y-%m-%d %H:%M} UTC by {entry.actor}")


def _context(app, session, tenant, actor):
    from ccctl.audit import current_actor

    ctx = app.context(session, tenant)
    ctx.actor = current_actor(actor)
    return ctx


def _checkpoint(app) -> None:
    """Fold the WAL into the file and truncate it: erased bytes must not linger in ccctl.db-wal."""
    with app.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
