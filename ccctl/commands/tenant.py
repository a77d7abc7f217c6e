"""``ccctl tenant``: apply per-client YAML files, list and show tenants."""

from __future__ import annotations

from pathlib import Path

import click

from ccctl.commands.options import app_session
from ccctl.output import emit, emit_object, output_options


def register(cli: click.Group) -> None:
    cli.add_command(tenant)


@click.group()
def tenant() -> None:
    """Tenants: the outsourcer's clients, one YAML file each."""


@tenant.command("apply")
@click.option("-f", "--file", "paths", multiple=True, required=True,
              type=click.Path(exists=False, path_type=Path), help="YAML file or folder (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--verbose", "-v", is_flag=True, help="Also list the keys a new tenant gets at their default values.")
@click.option("--force", is_flag=True, help="Apply even when a dropped queue still holds items that are not closed.")
@output_options
def apply_cmd(paths: tuple[Path, ...], dry_run: bool, verbose: bool, force: bool, fmt: str | None) -> None:
    """Create or update tenants from YAML; all files are validated first, applied in one transaction.

    A new tenant's diff lists the keys its file sets; the keys left at their defaults are
    counted (--verbose lists them). Dropping a queue that still holds open items is refused
    (exit 2, nothing applied) unless --force; --dry-run shows it as a warning.

    \b
    Examples:
      ccctl tenant apply -f clients/ --dry-run
      ccctl tenant apply -f clients/voyages-lumiere.yaml
    """
    from ccctl import tenants
    from ccctl.plugins import plugin_names

    with app_session(commit=not dry_run) as (app, session):
        schemas = app.config_schemas()
        configs = tenants.load_configs(list(paths), schemas, set(plugin_names(app.pm)), app.retention_kinds())
        changes = (tenants.plan(session, configs, schemas) if dry_run
                   else tenants.apply(session, configs, force=force, schemas=schemas))
    rows = [{"tenant": c.tenant, "action": f"would {c.action}" if dry_run and c.changes else c.action,
             "changes": len(c.changes), "at_defaults": c.defaults, "warnings": c.warnings} for c in changes]
    from ccctl.output import resolve_format

    if resolve_format(fmt) == "table":
        for change in changes:
            _print_change(change, dry_run, verbose, schemas, configs)
        return
    emit([{**r, "diff": c.changes} for r, c in zip(rows, changes)], fmt=fmt)


def _print_change(change, dry_run: bool, verbose: bool, schemas, configs) -> None:
    from ccctl import tenants

    if change.action == "create" and not dry_run and not verbose:  # --dry-run is where a new tenant's keys show
        click.echo(f"{change.tenant}: create ({len(change.changes) - change.defaults} keys set, "
                   f"{change.defaults} at their defaults)")
        return
    click.echo(f"{change.tenant}: {change.action}{' (dry run)' if dry_run else ''}")
    lines = change.changes
    if change.defaults and not verbose:
        config = next(c for _p, c in configs if c.tenant == change.tenant)
        defaults, new = tenants.default_values(config, schemas), tenants.flatten(config.model_dump(mode="json"))
        lines = [line for line in lines if not tenants.is_default_line(line, defaults, new)]
    for line in lines:
        click.echo(f"  {line}")
    if change.defaults and not verbose:
        click.echo(f"  ({change.defaults} more keys at their default values: --verbose lists them)")
    for warning in change.warnings:
        click.echo(f"  ! {warning}", err=True)


@tenant.command("list")
@output_options
def list_cmd(fmt: str | None) -> None:
    """List tenants with their enabled plugins."""
    from ccctl.tenant_lookup import list_tenants
    from ccctl.tenants import tenant_summary

    with app_session(commit=False) as (_app, session):
        rows = [tenant_summary(t) for t in list_tenants(session)]
    emit(rows, ["tenant", "name", "timezone", "queues", "plugins"], fmt)


@tenant.command("show")
@click.argument("slug")
@output_options
def show_cmd(slug: str, fmt: str | None) -> None:
    """Show one tenant's stored configuration (secrets stay references).

    A table prints the configuration as YAML, ready to diff against the client's file.

    \b
    Examples:
      ccctl tenant show voyages-lumiere
      ccctl tenant show voyages-lumiere --format json
    """
    from ccctl.output import resolve_format

    with app_session(commit=False) as (app, session):
        record = app.tenant(session, slug)
        data = {**record.config, "source": record.source}
    if resolve_format(fmt) == "table":
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip())
        return
    emit_object(data, fmt)
