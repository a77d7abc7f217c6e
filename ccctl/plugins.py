"""Plugin manager factory and per-tenant hook calling.

Plugins, built-in or third-party, are found through the ``ccctl`` entry-point group.
Scanning every installed distribution for entry points costs more than the rest of
``ccctl --help``, so the scan's result is memoised (see :mod:`ccctl.entry_points`) and
redone whenever anything on ``sys.path`` is installed, removed or rewritten.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable

import pluggy

from ccctl import hookspecs
from ccctl.entry_points import EntryPoint, ccctl_entry_points

# Plugins registered by core itself; always on, whatever the tenant says.
CORE_PLUGINS: tuple[str, ...] = ()


def allowed_plugins() -> set[str] | None:
    """The names ``CCCTL_LOAD_PLUGINS`` allows (``''`` allows none), or None when it is unset."""
    only = os.environ.get("CCCTL_LOAD_PLUGINS")
    return None if only is None else {n.strip() for n in only.split(",") if n.strip()}


def get_plugin_manager(
    disabled: Iterable[str] = (), load_entrypoints: bool = True, extra: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Build a plugin manager: specs, entry points, blocks, then ``check_pending``.

    ``CCCTL_LOAD_PLUGINS`` (comma-separated names, may be empty) loads only those
    plugins; ``disabled`` names are blocked as with ``--disable-plugin``.  ``extra``
    holds plugin objects or ``(name, object)`` pairs (tests, embedding apps); a named
    extra is switched per tenant like an entry-point plugin and obeys the same blocks.
    """
    pm = pluggy.PluginManager("ccctl")
    pm.add_hookspecs(hookspecs)
    allowed, disabled = allowed_plugins(), set(disabled)
    distributions: dict[str, tuple[str, str]] = {}

    def blocked(name: str) -> bool:
        return name in disabled or (allowed is not None and name not in allowed)

    if load_entrypoints:
        for ep in ccctl_entry_points():
            if blocked(ep.name):
                pm.set_blocked(ep.name)
                continue
            if pm.get_plugin(ep.name) is not None:
                continue  # two distributions claim one name: the first found wins, as in pluggy
            pm.register(_load(ep), name=ep.name)
            distributions[ep.name] = (ep.dist, ep.version)
    for plugin in extra:
        if isinstance(plugin, tuple):
            name, plugin = plugin
            if blocked(name):
                pm.set_blocked(name)
                continue
            pm.register(plugin, name=name)
        else:
            pm.register(plugin)
    pm.ccctl_distributions = distributions  # read by plugin_distribution()
    pm.check_pending()
    return pm


def _load(ep: EntryPoint) -> object:
    """Import ``module`` or ``module:attr`` as an entry point's value says."""
    module, _, attr = ep.value.partition(":")
    obj = importlib.import_module(module.strip())
    for part in filter(None, attr.strip().split(".")):
        obj = getattr(obj, part)
    return obj


def plugin_names(pm: pluggy.PluginManager) -> list[str]:
    """Names of the loaded plugins a tenant can switch (everything but core and unnamed extras)."""
    return sorted(
        name
        for name, plugin in pm.list_name_plugin()
        if name is not None and plugin is not None and name not in CORE_PLUGINS
        and not _is_unnamed_extra(name)
    )


def tenant_hook(pm: pluggy.PluginManager, enabled: Iterable[str], hook_name: str):
    """A caller for ``hook_name`` that reaches only core and the ``enabled`` plugins.

    Callers are memoised on ``pm`` (building a subset caller costs more than most hook
    calls: ingest fires one per item); the key holds the registered names, so a plugin
    registered or unregistered later gets a fresh caller.
    """
    enabled = frozenset(enabled)
    key = (enabled, hook_name, tuple(name for name, _plugin in pm.list_name_plugin()))
    cache = pm.__dict__.setdefault("_ccctl_tenant_hooks", {})
    caller = cache.get(key)
    if caller is None:
        caller = cache[key] = _tenant_hook(pm, enabled, hook_name)
    return caller


def _tenant_hook(pm: pluggy.PluginManager, enabled: frozenset[str], hook_name: str):
    remove = [
        plugin
        for name, plugin in pm.list_name_plugin()
        if plugin is not None and name not in CORE_PLUGINS and name not in enabled
        and not _is_unnamed_extra(name)
    ]
    if not remove:
        return getattr(pm.hook, hook_name)
    return pm.subset_hook_caller(hook_name, remove_plugins=remove)


def _is_unnamed_extra(name: str) -> bool:
    # Objects registered without a name get an id-like name from pluggy; they are
    # host code (tests, embedding apps), not tenant-switchable channel plugins.
    return name.isdigit() or name.startswith("_")


def plugin_distribution(pm: pluggy.PluginManager, name: str) -> tuple[str, str]:
    """(distribution name, version) that provided plugin ``name``, or ('', '')."""
    return getattr(pm, "ccctl_distributions", {}).get(name, ("", ""))
