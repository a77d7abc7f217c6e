"""``ccctl plugins``: what is loaded, its hooks, and which tenants enable it."""

from __future__ import annotations

import click

from ccctl.output import emit, output_options


def register(cli: click.Group) -> None:
    cli.add_command(plugins)


@click.command()
@click.option("--no-tenants", is_flag=True, help="Do not open the database to list tenants.")
@output_options
@click.pass_obj
def plugins(app, no_tenants: bool, fmt) -> None:
    """List loaded plugins with version, hooks and the tenants that enable each.

    If a plugin breaks ccctl, start with none: CCCTL_LOAD_PLUGINS='' ccctl plugins
    """
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
    emit(rows, ["name", "version", "package", "hooks", "tenants"], fmt)
