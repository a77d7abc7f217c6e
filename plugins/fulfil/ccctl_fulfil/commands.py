"""``ccctl fulfil``: list the documents sent, export the postal mailing batch for the print house."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option, tenant_session
from ccctl.output import emit, output_options

CSV_COLUMNS = ["name", "address", "address2", "postcode", "city", "country", "documents", "requests"]


@click.group()
def fulfil() -> None:
    """Brochure fulfilment: documents e-mailed or posted for information requests, and their follow-ups.

    \b
    Examples:
      ccctl item close 4711 --outcome info-sent --send brochure:japon
      ccctl fulfil list -t voyages-lumiere
      ccctl fulfil export -t voyages-lumiere --date 2026-12-07 -o mailing-2026-12-07.csv
    """


@fulfil.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@tenant_option
@output_options
def list_cmd(limit, tenant_slug, fmt) -> None:
    """Documents sent or batched, newest first, with their follow-up item."""
    from sqlalchemy import select

    from ccctl_fulfil.models import FulfilRequest

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        rows = [{"id": r.id, "item": r.item_id, "customer": r.customer_id, "document": r.document,
                 "language": r.language, "method": r.method, "state": r.state, "follow_up": r.follow_up_item_id,
                 "created_at": r.created_at, "exported_on": r.export_date}
                for r in session.scalars(select(FulfilRequest).where(FulfilRequest.tenant_id == tenant.id)
                                         .order_by(FulfilRequest.id.desc()).limit(limit))]
        zone = tenant.timezone
    emit(rows, None, fmt, tz=zone)


@fulfil.command("export")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Batch of this day (tenant's time zone): every postal request up to its end not exported yet.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="CSV file (default: stdout).")
@tenant_option
def export_cmd(day, output, tenant_slug) -> None:
    """Write the postal mailing batch as CSV for the print house: one line per address (its documents
    joined by '+'); each request is exported once, so a second run for the same day writes no line.

    \b
    Example:
      ccctl fulfil export -t voyages-lumiere --date 2026-12-07 -o mailing-2026-12-07.csv
    """
    import csv
    import io
    import sys

    from ccctl_fulfil.batch import take_batch

    with tenant_session(tenant_slug) as (_app, session, tenant):
        lines = take_batch(session, tenant, day.date())
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(lines)
        if output:  # written before the commit: a file that cannot be written exports nothing
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(buffer.getvalue())
        else:
            sys.stdout.write(buffer.getvalue())
    click.echo(f"{tenant.slug}: {len(lines)} address(es) in the batch of {day:%Y-%m-%d}", err=True)
