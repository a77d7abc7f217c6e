"""``ccctl tenant archive|unarchive|export|delete``: the end of a client's contract."""

from __future__ import annotations

import contextlib
import sys

import click

from ccctl.commands.options import actor_option, app_session
from ccctl.output import emit_object, output_options


def register(cli: click.Group) -> None:
    group = cli.commands["tenant"]
    for command in (archive_cmd, unarchive_cmd, export_cmd, delete_cmd):
        group.add_command(command)


@click.command("archive")
@click.argument("slug")
@actor_option
@output_options
def archive_cmd(slug, actor, fmt) -> None:
    """Archive a client at the end of its contract: it keeps its data, takes no new work.

    An archived tenant creates no item (mail, SMS, forms and webhooks are refused), and cron
    commands pass it by. `tenant export` still reads it; `tenant delete` needs it archived.

    \b
    Examples:
      ccctl tenant archive assurance-horizon
      ccctl tenant unarchive assurance-horizon
    """
    _switch(slug, actor, fmt, archived=True)


@click.command("unarchive")
@click.argument("slug")
@actor_option
@output_options
def unarchive_cmd(slug, actor, fmt) -> None:
    """Reopen an archived client: it takes new work again."""
    _switch(slug, actor, fmt, archived=False)


def _switch(slug, actor, fmt, *, archived: bool) -> None:
    from ccctl import lifecycle
    from ccctl.audit import audit
    from ccctl.tenants import tenant_summary

    with app_session() as (app, session):
        tenant = app.tenant(session, slug)
        (lifecycle.archive if archived else lifecycle.unarchive)(session, tenant)
        audit(session, tenant.id, actor, "tenant.archive" if archived else "tenant.unarchive", f"tenant:{slug}")
        record = {**tenant_summary(tenant), "archived_at": tenant.archived_at}
    emit_object(record, fmt, tz=tenant.timezone)


@click.command("export")
@click.argument("slug")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write to FILE (default: standard output).")
@actor_option
def export_cmd(slug, output, actor) -> None:
    """Everything held for a client, to hand back at the end of its contract: JSON lines.

    One line per row, `{"table": ..., "row": {...}}`: first the tenant (its configuration,
    secrets as references), then every row of every table that carries the tenant's id, core
    and plugins alike (binary content as base64). Streamed, so any size fits.

    \b
    Examples:
      ccctl tenant export assurance-horizon -o assurance-horizon.jsonl
      ccctl tenant export assurance-horizon | gzip > assurance-horizon.jsonl.gz
    """
    import json

    from ccctl import lifecycle
    from ccctl.audit import audit

    with app_session(commit=False) as (app, session):
        tenant = app.tenant(session, slug)
        written = 0
        with open(output, "w", encoding="utf-8") if output else contextlib.nullcontext(sys.stdout) as out:
            for record in lifecycle.export_rows(session.connection(), tenant):
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
                written += 1
    with app_session() as (app, session):
        audit(session, tenant.id, actor, "tenant.export", f"tenant:{slug}", {"rows": written})
    click.echo(f"exported {written} rows of tenant {slug}" + (f" to {output}" if output else ""), err=True)


@click.command("delete")
@click.argument("slug")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@actor_option
@output_options
def delete_cmd(slug, dry_run, yes, actor, fmt) -> None:
    """Delete an archived client and every row it owns, in core and in every plugin's tables,
    and the files its plugins keep for it (token folders, dry-run logs, brochures...).

    The audit log keeps its entries (ids and counts only) and gains one for the deletion.
    Archive first, export, then delete: there is no undo. A file another tenant also uses is
    kept (listed as shared). Files go first: if one cannot be removed, no row is deleted
    (exit 1, the files named); fix it and run the command again.

    Data a plugin keeps outside this machine (call recordings at Twilio) must be deleted first:
    while any is left, the command (and --dry-run, under `blockers`) names it with the command
    that deletes it, deletes nothing and exits 1.

    \b
    Examples:
      ccctl tenant delete assurance-horizon --dry-run
      ccctl tenant delete assurance-horizon            # asks to type the slug
      ccctl tenant delete assurance-horizon --yes      # from a script
    """
    from ccctl import lifecycle
    from ccctl.audit import audit
    from ccctl.errors import CcctlError, InputError
    from ccctl.tenant_files import remove, tenant_files

    with app_session(commit=not dry_run) as (app, session):
        tenant = app.tenant(session, slug)
        files = tenant_files(app, session, tenant)
        blockers = lifecycle.delete_blockers(app.context(session, tenant))
        if dry_run:
            rows = lifecycle.counts(session.connection(), tenant)
            rows.pop("audit_log", None)
        else:
            lifecycle.require_archived(tenant)
            lifecycle.refuse_blocked(slug, blockers)
            if not yes:
                if not sys.stdin.isatty():
                    raise InputError("deleting a tenant asks for confirmation: pass --yes in scripts")
                typed = click.prompt(f"Delete tenant {slug} and all its data? Type its slug to confirm")
                if typed != slug:
                    raise InputError("not confirmed: nothing deleted")
            failed = remove(files.owned)
            if failed:
                raise CcctlError(f"tenant {slug}: {len(failed)} file(s) could not be removed, so no row was "
                                 f"deleted; fix this and run the command again: {'; '.join(failed)}")
            rows = lifecycle.delete_tenant(session.connection(), tenant)
            audit(session, None, actor, "tenant.delete", f"tenant:{slug}", {"rows": rows, "files": len(files.owned)})
    for path, others in files.shared.items():
        click.echo(f"kept {path}: also used by {', '.join(others)}", err=True)
    emit_object({"tenant": slug, "dry_run": dry_run, "rows": rows, "total": sum(rows.values()),
                 "files": [str(p) for p in files.owned],
                 "shared_files": [str(p) for p in files.shared], "blockers": blockers}, fmt)
    lifecycle.refuse_blocked(slug, blockers)  # a dry run shows what would go, and exits 1 as the deletion would
