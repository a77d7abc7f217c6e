"""``ccctl customer``: add, find, show (timeline), merge, import, duplicates."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option, tenant_session
from ccctl.output import emit, emit_object, output_options

CUSTOMER_COLUMNS = ["id", "name", "emails", "phones"]


def register(cli: click.Group) -> None:
    cli.add_command(customer)


@click.group()
def customer() -> None:
    """Customers and their multichannel history."""


@customer.command("add")
@click.argument("name")
@click.option("--email", "emails", multiple=True, help="Email address (repeatable).")
@click.option("--phone", "phones", multiple=True, help="Phone number, national or +international (repeatable).")
@tenant_option
@output_options
def add_cmd(name: str, emails, phones, tenant_slug, fmt) -> None:
    """Add a customer.

    \b
    Example:
      ccctl customer add "Élodie Martin" --email elodie@example.fr --phone "06 12 34 56 78"
    """
    from ccctl.customers import add_customer, customer_row

    with tenant_session(tenant_slug) as (_app, session, tenant):
        row = customer_row(add_customer(session, tenant, name, emails, phones))
    emit_object(row, fmt)


@customer.command("find")
@click.argument("query")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@tenant_option
@output_options
def find_cmd(query: str, limit: int, tenant_slug, fmt) -> None:
    """Find customers by phone, email or (fuzzy) name.

    \b
    Examples:
      ccctl customer find "+33 6 12 34 56 78"
      ccctl customer find elodie@example.fr
      ccctl customer find "elodie martn"
    """
    from ccctl.customers import customer_row, find_customers

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        rows = [customer_row(c) for c in find_customers(session, tenant, query, limit)]
    emit(rows, CUSTOMER_COLUMNS, fmt)


@customer.command("show")
@click.argument("customer_id", type=int)
@click.option("--limit", type=int, default=None, help="Show only the newest N events.")
@tenant_option
@output_options
def show_cmd(customer_id: int, limit, tenant_slug, fmt) -> None:
    """Show a customer, their open work items and one timeline of every interaction
    across channels (newest first).

    Tables show times in the tenant's time zone; JSON keeps ISO 8601 UTC.
    A merged customer's id leads to the customer it was merged into.

    \b
    Examples:
      ccctl customer show 88 -t voyages-lumiere
      ccctl customer show 88 --limit 20 --format json
    """
    from ccctl.customers import customer_row, get_customer, interaction_row, item_row, open_items, timeline

    from ccctl.customer_context import customer_context

    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        found = get_customer(session, tenant, customer_id)
        record = customer_row(found)
        if found.id != customer_id:
            record["merged_from"] = customer_id
        record["attributes"] = found.attributes
        record["context"] = customer_context(app.context(session, tenant), found)  # site visits, pre-bookings...
        record["open_items"] = [item_row(i) for i in open_items(session, tenant, found)]
        record["timeline"] = [interaction_row(i) for i in timeline(session, tenant, found, limit)]
        zone = tenant.timezone
    emit_object(record, fmt, tz=zone)


@customer.command("merge")
@click.argument("source_id", type=int)
@click.argument("target_id", type=int)
@click.option("--actor", envvar="USER", help="Who merges (recorded in the trace).")
@tenant_option
@output_options
def merge_cmd(source_id: int, target_id: int, actor, tenant_slug, fmt) -> None:
    """Merge customer SOURCE_ID into TARGET_ID: contact points and history move, a trace stays."""
    from ccctl.customers import merge

    with tenant_session(tenant_slug) as (app, session, tenant):
        trace = merge(session, tenant, source_id, target_id, actor, ctx=app.context(session, tenant))
        row = {"merged": trace.source_id, "into": trace.target_id, **trace.details}
    emit_object(row, fmt)


@customer.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--input-format", type=click.Choice(["csv", "jsonl"]), default=None,
              help="Default: from the file name, else sniffed.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some are invalid.")
@tenant_option
@output_options
def import_cmd(source, input_format, skip_invalid, tenant_slug, fmt) -> None:
    """Import customers from CSV or JSONL (a file, or - for stdin); known contacts are updated.

    \b
    CSV columns: name, email, phone (several separated by ';'), any other column is kept as an attribute.
    Example:
      ccctl customer import examples/customers-voyages.csv -t voyages-lumiere
    """
    from ccctl.customer_import import import_customers, open_source, read_rows, sniff_format
    from ccctl.errors import InputError

    name = "<stdin>" if source.name == "<stdin>" else source.name
    head, stream = open_source(source)
    rows = read_rows(stream, input_format or sniff_format(name, head), name)
    with tenant_session(tenant_slug) as (_app, session, tenant):
        with click.progressbar(length=len(rows), label="Importing", file=click.get_text_stream("stderr"),
                               hidden=len(rows) < 1000) as bar:
            report = import_customers(session, tenant, rows, name, skip_invalid, bar)
        if report.errors and not skip_invalid:
            session.rollback()
            shown = "\n".join(report.errors[:20])
            more = f"\n... and {len(report.errors) - 20} more" if len(report.errors) > 20 else ""
            raise InputError(f"nothing imported; fix these rows or pass --skip-invalid:\n{shown}{more}")
    for error in report.errors:
        click.echo(f"skipped {error}", err=True)
    emit_object({"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                 "skipped": len(report.errors)}, fmt)


@customer.command("duplicates")
@click.option("--threshold", default=90, show_default=True, type=click.IntRange(50, 100),
              help="Name similarity (0-100) from which a pair is listed.")
@tenant_option
@output_options
def duplicates_cmd(threshold: int, tenant_slug, fmt) -> None:
    """List likely duplicate customers (same or nearly the same name); merge them with `customer merge`."""
    from ccctl.customers import likely_duplicates

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        rows = likely_duplicates(session, tenant, threshold)
    emit(rows, ["customer_a", "name_a", "customer_b", "name_b", "score"], fmt)
