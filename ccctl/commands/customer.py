"""``ccctl customer``: add, find, show (timeline), list, update; import, duplicates and merge in customer_identity."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option, tenant_session
from ccctl.output import emit, emit_object, output_options

CUSTOMER_COLUMNS = ["id", "name", "emails", "phones"]
NESTED = ("context", "open_items", "timeline")  # customer show: tables inside the record


def register(cli: click.Group) -> None:
    from ccctl.commands import customer_identity

    customer_identity.register(customer)
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
@click.argument("query", required=False)
@click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE",
              help="Find by an indexed attribute (the tenant's external keys and customers.indexed).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@tenant_option
@output_options
def find_cmd(query, attrs, limit: int, tenant_slug, fmt) -> None:
    """Find customers by phone, email, indexed attribute value or (fuzzy) name.

    QUERY - reads one query per line from stdin and writes one JSON line per query:
    {"query": ..., "customers": [...]} (thousands of look-ups for one start-up).

    \b
    Examples:
      ccctl customer find "+33 6 12 34 56 78"
      ccctl customer find AP-100146
      ccctl customer find --attr policy=AP-100146
      ccctl customer find "elodie martn"
      cut -d, -f1 numbers.csv | ccctl customer find - > found.jsonl
    """
    from ccctl.errors import InputError

    if query == "-":
        return _find_stdin(tenant_slug)
    if not query and not attrs:
        raise InputError("give a query (phone, email, name, policy number...), --attr KEY=VALUE, or - for stdin")
    if not attrs:
        from ccctl.context import App
        from ccctl.identity.quickfind import quick_find

        quick = quick_find(click.get_current_context().find_object(App), tenant_slug, query)
        if quick is not None:
            return emit(quick, CUSTOMER_COLUMNS, fmt)
    from ccctl.customers import customer_row, find_customers
    from ccctl.identity.directory import find_by_attribute, parse_assignment

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        if attrs:
            found = None
            for key, value in (parse_assignment(a, "--attr") for a in attrs):
                ids = {c.id: c for c in find_by_attribute(session, tenant, key, value, 1000)}
                found = ids if found is None else {i: c for i, c in found.items() if i in ids}
            matches = list(found.values())[:limit]
            if query:
                wanted = {c.id for c in find_customers(session, tenant, query, 1000)}
                matches = [c for c in matches if c.id in wanted]
        else:
            matches = find_customers(session, tenant, query, limit)
        rows = [customer_row(c) for c in matches]
    emit(rows, CUSTOMER_COLUMNS, fmt)


def _find_stdin(tenant_slug) -> None:
    """One JSON line per stdin line, answered in batches (a slow pipe still gets answers as it goes)."""
    from ccctl.context import App
    from ccctl.identity.quickfind import open_quick

    opened = open_quick(click.get_current_context().find_object(App), tenant_slug)
    if opened is not None:  # SQLite: sqlite3 alone, no SQLAlchemy to load
        from ccctl.identity.quickfind import find_many

        conn, tenant_id, region = opened
        try:
            _answer_lines(lambda batch: find_many(conn, tenant_id, region, batch))
        finally:
            conn.close()
        return
    from ccctl.identity.directory import find_many

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        _answer_lines(lambda batch: find_many(session, tenant, batch))


def _answer_lines(find) -> None:
    import sys

    from ccctl.output import to_json

    batch: list[str] = []
    for line in click.get_text_stream("stdin"):
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= 2000:
            _answer(batch, find, to_json, sys.stdout)
            batch = []
    if batch:
        _answer(batch, find, to_json, sys.stdout)


def _answer(queries, find, to_json, out) -> None:
    for query, rows in zip(queries, find(queries)):
        out.write(to_json({"query": query, "customers": rows}, indent=None) + "\n")
    out.flush()


@customer.command("list")
@click.option("--name", default=None, help="Only names containing these words (case and accents ignored).")
@click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE", help="Only this indexed attribute value.")
@click.option("--include-merged", is_flag=True, help="Also list customers merged into others.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, None))
@click.option("--after", type=int, default=None, help="Keyset paging: only ids above this one (fast on big tenants).")
@tenant_option
@output_options
def list_cmd(name, attrs, include_merged, limit, page, after, tenant_slug, fmt) -> None:
    """List customers by id, a page at a time (the total goes to stderr).

    \b
    Examples:
      ccctl customer list --name martin --limit 20 --page 2
      ccctl customer list --attr policy=AP-100146 --format json
      ccctl customer list --after 5000 --limit 1000 --format csv
    """
    from ccctl.customers import customer_row
    from ccctl.identity.directory import list_customers, parse_assignment

    filters = [parse_assignment(a, "--attr") for a in attrs]
    offset = 0 if after is not None else (page - 1) * limit
    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        found, total = list_customers(session, tenant, name, filters, include_merged, limit, offset, after)
        rows = [{**customer_row(c), "attributes": c.attributes, "merged_into": c.merged_into_id} for c in found]
    emit(rows, CUSTOMER_COLUMNS + ["attributes"] + (["merged_into"] if include_merged else []), fmt)
    shown = f"{offset + 1}-{offset + len(rows)}" if rows else "none"
    click.echo(f"{shown} of {total} customers", err=True)


@customer.command("update")
@click.argument("customer_id", type=int)
@click.option("--set", "sets", multiple=True, required=True, metavar="KEY=VALUE",
              help="Set name or an attribute (repeatable); KEY= with nothing removes the attribute.")
@click.option("--actor", envvar="USER", help="Who changes it (recorded in the history).")
@tenant_option
@output_options
def update_cmd(customer_id: int, sets, actor, tenant_slug, fmt) -> None:
    """Change a customer's name or attributes; the history keeps each change (old → new).

    \b
    Examples:
      ccctl customer update 88 --set policy=AP-100146 --set city=Lyon
      ccctl customer update 88 --set "name=Élodie Martin-Roux"
    """
    from ccctl.identity.directory import parse_assignment
    from ccctl.identity.updating import update_customer

    changes = [parse_assignment(s) for s in sets]
    with tenant_session(tenant_slug) as (_app, session, tenant):
        customer, done = update_customer(session, tenant, customer_id, changes, actor)
        row = {"id": customer.id, "name": customer.name, "changed": done, "attributes": customer.attributes}
    emit_object(row, fmt)


@customer.command("show")
@click.argument("customer_id", type=int)
@click.option("--limit", type=int, default=None, help="Show only the newest N events.")
@tenant_option
@output_options
def show_cmd(customer_id: int, limit, tenant_slug, fmt) -> None:
    """Show a customer, their open work items and one timeline of every interaction
    across channels (newest first).

    Tables show times in the tenant's time zone; JSON keeps ISO 8601 UTC.
    A merged customer's id leads to the customer it was merged into. CSV gives the
    customer as one row with the columns of `customer list` (several emails or phones in
    one cell, joined by ", "); the context, open items and timeline are in json and table.

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
    from ccctl.output import resolve_format

    if resolve_format(fmt) == "csv":
        record = {k: v for k, v in record.items() if k not in NESTED}  # the same columns, whatever they hold
        click.echo(f"({', '.join(NESTED)}: --format json or table)", err=True)
    emit_object(record, fmt, tz=zone)
