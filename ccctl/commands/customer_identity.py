"""``ccctl customer import | duplicates | merge | unmerge | reindex``: who is who, shown before it is changed."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option, tenant_session
from ccctl.output import emit, emit_object, output_options


def register(group: click.Group) -> None:
    for command in (import_cmd, duplicates_cmd, merge_cmd, unmerge_cmd, reindex_cmd):
        group.add_command(command)


@click.command("import")
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--input-format", type=click.Choice(["csv", "jsonl"]), default=None,
              help="Default: from the file name, else sniffed.")
@click.option("--encoding", default=None, help="The file's encoding (default: BOM, else UTF-8, else detected).")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD,...",
              help="Rename columns, e.g. --map Nom=name,Téléphone=phone,Police=policy (over the tenant's import_map).")
@click.option("--on-conflict", type=click.Choice(["update", "new", "skip"]), default=None,
              help="What to do with conflicting rows (default: import nothing and list them).")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some are invalid.")
@click.option("--dry-run", is_flag=True, help="Show what would be created, updated and what conflicts; write nothing.")
@click.option("--details", default=50, show_default=True, type=click.IntRange(0, None),
              help="Rows of detail (creations, changes, conflicts) shown on a table; JSON holds up to 1000.")
@click.option("--actor", envvar="USER", help="Who imports (recorded in each changed customer's history).")
@tenant_option
@output_options
def import_cmd(source, input_format, encoding, maps, on_conflict, skip_invalid, dry_run, details, actor,
               tenant_slug, fmt) -> None:
    """Import customers from CSV (, ; or TAB) or JSONL, a file or - for stdin.

    Rows are matched by the tenant's rules (docs/customers.md): external key, then email,
    then phone when the names agree. A row matching two customers, or one whose name or
    external key disagrees, is a conflict: listed with both identities, and nothing is
    imported unless --on-conflict says what to do. Names are stored as written.

    \b
    Exit codes: 0 imported (or dry run); 2 invalid rows or conflicts (nothing imported).
    Examples:
      ccctl customer import clients.csv --dry-run -t voyages-lumiere
      ccctl customer import export-excel.csv --map Nom=name,Téléphone=phone,Police=policy
      ccctl customer import people.csv --on-conflict new --skip-invalid
    """
    from ccctl.errors import InputError
    from ccctl.identity.importer import import_rows, read_file
    from ccctl.identity.rules import rules_for
    from ccctl.identity.sources import decode, parse_map

    explicit: dict[str, str] = {}
    for text in maps:
        explicit.update(parse_map(text))
    name = "<stdin>" if source == "-" else source
    try:
        data = click.get_binary_stream("stdin").read() if source == "-" else open(source, "rb").read()
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror})") from None
    decoded = decode(data, name, encoding)
    with tenant_session(tenant_slug) as (_app, session, tenant):
        rules = rules_for(tenant)
        rows = read_file(decoded, input_format, rules.import_map, explicit, rules)
        total = data.count(b"\n")
        with click.progressbar(length=total, label="Importing", file=click.get_text_stream("stderr"),
                               hidden=total < 20000) as bar:
            report = import_rows(session, tenant, rows, name, on_conflict, actor, bar.update)
        report.encoding = decoded.encoding
        refused = _refusal(report, skip_invalid, on_conflict)
        if dry_run or refused:
            session.rollback()
        slug = tenant.slug
    _show(report, fmt, details, dry_run or bool(refused))
    for error in report.errors[:details or None]:
        click.echo(("skipped " if skip_invalid else "") + error, err=True)
    if refused and not dry_run:
        raise InputError(f"tenant {slug}: nothing imported: {refused}")


def _refusal(report, skip_invalid: bool, on_conflict: str | None) -> str:
    reasons = []
    if report.invalid and not skip_invalid:
        reasons.append(f"{report.invalid} invalid row{'s' * (report.invalid > 1)}; fix them or pass --skip-invalid")
    if report.conflicts and on_conflict is None:
        reasons.append(f"{report.conflicts} conflict{'s' * (report.conflicts > 1)}; check them and pass "
                       "--on-conflict update|new|skip")
    return " and ".join(reasons)


def _show(report, fmt, details: int, nothing_written: bool) -> None:
    from ccctl.identity.store import describe
    from ccctl.output import resolve_format

    summary = {**report.counts(), "written": not nothing_written, "encoding": report.encoding}
    if resolve_format(fmt) != "table":
        emit_object({**summary, "errors": report.errors, "details": report.details}, fmt)
        return
    for row in report.details[:details or None]:
        click.echo(f"{row['action']:9s} {row['line']}  " + _detail_text(row, describe))
    click.echo(("dry run, nothing written: " if nothing_written else "")
               + ", ".join(f"{key} {value}" for key, value in report.counts().items())
               + f" (read as {report.encoding})")


def _detail_text(row, describe) -> str:
    if row["action"] == "created":
        return " ".join([row["name"] or "(no name)", *row["emails"], *row["phones"]])
    who = row["customer"]
    text = f"customer {who['id']} ({who['name']})" if who else ""
    if row["action"] == "conflict":
        incoming = row["row"]
        shown = ", ".join(incoming["emails"] + incoming["phones"] + [
            f"{k}={v}" for k, v in incoming.items() if k not in ("name", "emails", "phones")])
        text = f"{incoming['name'] or '(no name)'} <{shown}> vs {text or 'several customers'}: " + "; ".join(row["why"])
        text += f" [{row['resolution']}]"
    if row.get("changes"):
        text += ": " + ", ".join(describe(c) for c in row["changes"])
    return text


@click.command("duplicates")
@click.option("--min-score", default=50, show_default=True, type=click.IntRange(1, 100),
              help="Score (sum of signal weights, at most 100) from which a pair is listed.")
@click.option("--include-namesakes", is_flag=True, help="Also list pairs that share nothing but a similar name.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100000))
@tenant_option
@output_options
def duplicates_cmd(min_score: int, include_namesakes: bool, limit: int, tenant_slug, fmt) -> None:
    """List likely duplicate customers with the signals each pair shares.

    Signals (weight): external_key (60), email (50, same mailbox), phone (35, E.164),
    address (25), name (30, same name) or similar_name (20, rapidfuzz). A similar name
    alone is a namesake, not a duplicate: not listed unless --include-namesakes.

    \b
    Examples:
      ccctl customer duplicates -t voyages-lumiere
      ccctl customer duplicates --min-score 80 --format json
      ccctl customer merge 12 7 --dry-run
    """
    from ccctl.identity.duplicates import likely_duplicates

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        rows = likely_duplicates(session, tenant, min_score, include_namesakes, limit)
    emit(rows, ["customer_a", "name_a", "customer_b", "name_b", "score", "signals"], fmt)


@click.command("merge")
@click.argument("source_id", type=int)
@click.argument("target_id", type=int)
@click.option("--dry-run", is_flag=True, help="Show what would move and change; write nothing.")
@click.option("--actor", envvar="USER", help="Who merges (recorded in the trace).")
@tenant_option
@output_options
def merge_cmd(source_id: int, target_id: int, dry_run: bool, actor, tenant_slug, fmt) -> None:
    """Merge customer SOURCE_ID into TARGET_ID: contact points, history, items and plugins' rows move,
    a trace stays (its id undoes the merge: ccctl customer unmerge MERGE_ID).

    \b
    Examples:
      ccctl customer merge 12 7 --dry-run
      ccctl customer merge 12 7 --actor marie
    """
    from ccctl.identity.merging import merge, merge_plan

    with tenant_session(tenant_slug, commit=not dry_run) as (app, session, tenant):
        if dry_run:
            plan = merge_plan(session, tenant, source_id, target_id)
            plan.pop("source"), plan.pop("target")
            row = {"dry_run": True, **_shown(plan)}
        else:
            trace = merge(session, tenant, source_id, target_id, actor, ctx=app.context(session, tenant))
            row = {"merge_id": trace.id, **_shown(trace.details)}
    emit_object(row, fmt)


def _shown(plan: dict) -> dict:
    """The plan without the row-id lists (kept in the trace for unmerge, too long to print)."""
    return {k: v for k, v in plan.items() if not k.endswith("_ids") and k != "plugins"}


@click.command("unmerge")
@click.argument("merge_id", type=int)
@click.option("--actor", envvar="USER", help="Who undoes it (recorded in both histories).")
@tenant_option
@output_options
def unmerge_cmd(merge_id: int, actor, tenant_slug, fmt) -> None:
    """Undo merge MERGE_ID: what it moved goes back to the source customer (rows the target got
    since stay with it); both histories record the undo.

    \b
    Example:
      ccctl customer unmerge 3 -t voyages-lumiere
    """
    from ccctl.identity.merging import unmerge

    with tenant_session(tenant_slug) as (app, session, tenant):
        row = unmerge(session, tenant, merge_id, actor, ctx=app.context(session, tenant))
    emit_object(row, fmt)


@click.command("reindex")
@tenant_option
@output_options
def reindex_cmd(tenant_slug, fmt) -> None:
    """Rebuild the index of declared attributes (run it after adding to customers.indexed or external_keys)."""
    from ccctl.identity.directory import reindex

    with tenant_session(tenant_slug) as (_app, session, tenant):
        rows = reindex(session, tenant)
        slug = tenant.slug
    emit_object({"tenant": slug, "indexed_values": rows}, fmt)
