"""``ccctl plugins``: what is loaded, its hooks, and which tenants enable it."""

from __future__ import annotations

import click

from ccctl.output import emit, output_options


def register(cli: click.Group) -> None:
    cli.add_command(plugins)


COLUMNS = ["name", "version", "package", "hooks", "tenants"]
TENANTS_WIDTH = 60  # a table's tenants cell: with the other columns, fits 120 characters


@click.command()
@click.option("--no-tenants", is_flag=True, help="Do not open the database to list tenants.")
@click.option("--wide", is_flag=True, help="A table with every hook name and every tenant.")
@output_options
@click.pass_obj
def plugins(app, no_tenants: bool, wide: bool, fmt) -> None:
    """List loaded plugins with version, hooks and the tenants that enable each.

    A table counts the hooks and shortens a long list of tenants to fit 120 columns;
    --wide, --format json or csv give them all.

    If a plugin breaks ccctl, start with none: CCCTL_LOAD_PLUGINS='' ccctl plugins
    """
    from ccctl.output import resolve_format
    from ccctl.plugins import plugin_distribution, plugin_names

    enabled_by: dict[str, list[str]] = {}
    if not no_tenants:
        from ccctl.tenant_lookup import list_tenants

        with app.session() as session:
            for tenant in list_tenants(session):
                for name in tenant.enabled_plugins():
                    enabled_by.setdefault(name, []).append(tenant.slug)
    rows = []
    for name in plugin_names(app.pm):
        plugin = app.pm.get_plugin(name)
        hooks = sorted(h.name for h in app.pm.get_hookcallers(plugin) or [])
        dist, version = plugin_distribution(app.pm, name)
        rows.append({"name": name, "version": version, "package": dist, "hooks": hooks,
                     "tenants": enabled_by.get(name, [])})
    if resolve_format(fmt) == "table" and not wide:
        rows = [{**row, "hooks": len(row["hooks"]), "tenants": shortened(row["tenants"], TENANTS_WIDTH)}
                for row in rows]
    emit(rows, COLUMNS, fmt)


def shortened(names: list[str], width: int) -> str:
    """``a, b, c`` or, past ``width`` characters, ``a, b (+3 more)``: as many whole names as fit."""
    text = ", ".join(names)
    if len(text) <= width:
        return text
    for keep in range(len(names) - 1, -1, -1):
        text = ", ".join(names[:keep]) + f"{' ' if keep else ''}(+{len(names) - keep} more)"
        if len(text) <= width:
            return text
    return f"({len(names)} tenants)"
