"""Plugin manager factory and per-tenant hook calling."""

from __future__ import annotations

import os
from collections.abc import Iterable

import pluggy

from ccctl import hookspecs

# Plugins registered by core itself; always on, whatever the tenant says.
CORE_PLUGINS: tuple[str, ...] = ()


def get_plugin_manager(
    disabled: Iterable[str] = (), load_entrypoints: bool = True, extra: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Build a plugin manager: specs, entry points, blocks, then ``check_pending``.

    ``CCCTL_LOAD_PLUGINS`` (comma-separated names, may be empty) loads only those
    entry-point plugins; ``disabled`` names are blocked as with ``--disable-plugin``.
    """
    pm = pluggy.PluginManager("ccctl")
    pm.add_hookspecs(hookspecs)
    only = os.environ.get("CCCTL_LOAD_PLUGINS")
    allowed = None if only is None else {n.strip() for n in only.split(",") if n.strip()}
    if load_entrypoints:
        for name in _entry_point_names():
            if name in disabled or (allowed is not None and name not in allowed):
                pm.set_blocked(name)
        pm.load_setuptools_entrypoints("ccctl")
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def _entry_point_names() -> list[str]:
    from importlib.metadata import entry_points

    return [ep.name for ep in entry_points(group="ccctl")]


def plugin_names(pm: pluggy.PluginManager) -> list[str]:
    """Names of the loaded plugins a tenant can switch (everything but core)."""
    return sorted(
        name
        for name, plugin in pm.list_name_plugin()
        if name is not None and plugin is not None and name not in CORE_PLUGINS
    )


def tenant_hook(pm: pluggy.PluginManager, enabled: Iterable[str], hook_name: str):
    """A caller for ``hook_name`` that reaches only core and the ``enabled`` plugins."""
    enabled = set(enabled)
    remove = [
        plugin
        for name, plugin in pm.list_name_plugin()
        if plugin is not None and name not in CORE_PLUGINS and name not in enabled
        and not _is_unnamed_extra(pm, name)
    ]
    if not remove:
        return getattr(pm.hook, hook_name)
    return pm.subset_hook_caller(hook_name, remove_plugins=remove)


def _is_unnamed_extra(pm: pluggy.PluginManager, name: str) -> bool:
    # Objects registered without a name (tests, embedding apps) get an id-like
    # name from pluggy; they are not tenant-switchable channel plugins.
    return name.isdigit() or name.startswith("_")


def plugin_distribution(pm: pluggy.PluginManager, name: str) -> tuple[str, str]:
    """(distribution name, version) that provided plugin ``name``, or ('', '')."""
    for plugin, dist in pm.list_plugin_distinfo():
        if pm.get_name(plugin) == name:
            return dist.project_name, dist.version
    return "", ""
