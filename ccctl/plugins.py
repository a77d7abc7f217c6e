"""Plugin manager factory and per-tenant hook calling.

Plugins, built-in or third-party, are found through the ``ccctl`` entry-point group.
Scanning every installed distribution for entry points costs more than the rest of
``ccctl --help``, so the scan's result is memoised (see :mod:`ccctl.entry_points`) and
redone whenever anything on ``sys.path`` is installed, removed or rewritten.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import warnings
from collections.abc import Iterable
from typing import Any

import pluggy

from ccctl import hookspecs
from ccctl.entry_points import EntryPoint, ccctl_entry_points
from ccctl.errors import CcctlError, DomainError

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
    pm = CcctlPluginManager()
    pm.add_hookspecs(hookspecs)
    if os.environ.get("CCCTL_TRACE_PLUGINS"):
        pm.add_hookcall_monitoring(_trace_before, _trace_after)
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
            installed = pm.get_plugin(name)
            if installed is plugin:
                continue  # the test's plugin is the installed one: nothing to replace
            if installed is not None:  # a test's own build of an installed plugin wins
                pm.unregister(name=name)
                distributions.pop(name, None)
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


def reaches_tenant(name: str, enabled: Iterable[str]) -> bool:
    """Whether plugin ``name`` is called for a tenant that enables ``enabled``: core, host code
    (unnamed extras) and the enabled plugins are."""
    return name in CORE_PLUGINS or name in enabled or _is_unnamed_extra(name)


def _tenant_hook(pm: pluggy.PluginManager, enabled: frozenset[str], hook_name: str):
    remove = [plugin for name, plugin in pm.list_name_plugin()
              if plugin is not None and not reaches_tenant(name, enabled)]
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


# --------------------------------------------------------------------------- one release of old names


class CcctlPluginManager(pluggy.PluginManager):
    """pluggy's manager plus the one-release shim for renamed hooks (``hookspecs.RENAMED``).

    An implementation under an old name is registered for the new spec with a
    DeprecationWarning; where the new spec no longer passes an argument (``tenant``
    beside ``ctx``), the old implementation still receives it, derived from the new ones.
    """

    def __init__(self) -> None:
        super().__init__("ccctl")
        self.hook = _CompatRelay()  # pm.hook.<old name> still reaches the renamed hook, with a warning

    def parse_hookimpl_opts(self, plugin, name: str):
        opts = super().parse_hookimpl_opts(plugin, name)
        new = hookspecs.RENAMED.get(name)
        if opts is not None and new and not opts.get("specname"):
            warnings.warn(f"ccctl hook {name} is renamed {new}: rename the function in "
                          f"{getattr(plugin, '__name__', type(plugin).__name__)} (the old name goes "
                          "in the next release)", DeprecationWarning, stacklevel=4)
            opts = {**opts, "specname": new}
        return opts

    def _verify_hook(self, hook, hookimpl) -> None:
        dropped = hookspecs.DROPPED_ARGS.get(hook.name, {})
        extra = [arg for arg in hookimpl.argnames if arg in dropped]
        if extra and getattr(hookimpl.function, "__name__", "") in hookspecs.RENAMED:
            hookimpl.function = _supplying(hookimpl.function, {arg: dropped[arg] for arg in extra})
            hookimpl.argnames = tuple(a for a in hookimpl.argnames if a not in extra) + tuple(
                a for a in ("ctx",) if a not in hookimpl.argnames)
        super()._verify_hook(hook, hookimpl)


class _CompatRelay(pluggy.HookRelay):
    def __getattr__(self, name: str):  # only called for names not set: the hooks live in __dict__
        new = hookspecs.RENAMED.get(name)
        if new is None or new not in self.__dict__:
            raise AttributeError(name)
        warnings.warn(f"ccctl hook {name} is renamed {new}", DeprecationWarning, stacklevel=2)
        return self.__dict__[new]


def _supplying(function, derived: dict):
    """``function`` called with the new hook's arguments plus the ones it still wants (from ``ctx``)."""
    import inspect

    names = list(inspect.signature(function).parameters)
    given_names = tuple(n for n in names if n not in derived) + (() if "ctx" in names else ("ctx",))

    def adapted(*args):  # pluggy passes the hookimpl's argnames positionally
        given = dict(zip(given_names, args, strict=True))
        return function(**{n: given[n] if n in given else derived[n](given["ctx"]) for n in names})

    return functools.update_wrapper(adapted, function)


# --------------------------------------------------------------------------- calling hooks


def _contract(name: str) -> hookspecs.Contract:
    name = _current_name(name)
    contract = hookspecs.CONTRACTS.get(name)
    if contract is None:
        raise KeyError(f"no hook {name!r} in ccctl.hookspecs")
    return contract


def _current_name(name: str) -> str:
    new = hookspecs.RENAMED.get(name)
    if new:
        warnings.warn(f"ccctl hook {name} is renamed {new}", DeprecationWarning, stacklevel=4)
        return new
    return name


def hook_caller(target, name: str):
    """pluggy's caller for ``name`` with the reach its spec declares.

    ``target`` is a ``TenantContext`` (needed for reach TENANT), an ``App`` or a plugin manager.
    Use it for hot paths and first-result hooks; :func:`call_hook` when you need who said what.
    """
    contract = _contract(name)
    if contract.reach == hookspecs.TENANT:
        tenant = getattr(target, "tenant", None)
        if tenant is None:
            raise TypeError(f"{contract.name} reaches {hookspecs.TENANT}: call it with a TenantContext")
        return tenant_hook(_pm_of(target), tenant.enabled_plugins(), contract.name)
    return getattr(_pm_of(target).hook, contract.name)


def each_plugin(target, name: str):
    """``(plugin name, call)`` for each plugin ``name`` reaches, in pluggy's call order.

    ``call(**kwargs)`` runs that plugin's implementation alone (traced like any hook call):
    for callers that must know the plugin before it runs, e.g. to give it its own ``register``.
    """
    contract = _contract(name)
    caller = hook_caller(target, contract.name)
    pm = _pm_of(target)
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue

        def call(_impl=impl, **kwargs):
            # pm._hookexec, not impl.function: hook-call monitoring (CCCTL_TRACE_PLUGINS) sees it.
            answer = pm._hookexec(contract.name, [_impl], kwargs, False)
            return answer[0] if answer else None

        yield impl.plugin_name, call


def call_hook(target, name: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call ``name`` on each plugin it reaches; ``[(plugin name, result)]`` in pluggy's call order.

    ``ctx`` is filled in from ``target`` when the spec takes it and the caller did not pass it.
    A plugin that raises is named: ``PluginFailed`` (exit 1) says which plugin and hook, with the
    original exception as its cause.
    """
    name = _contract(name).name
    if "ctx" in getattr(_pm_of(target).hook, name).spec.argnames and "ctx" not in kwargs:
        kwargs["ctx"] = target
    results = []
    for plugin, call in each_plugin(target, name):
        try:
            results.append((plugin, call(**kwargs)))
        except DomainError:
            raise
        except Exception as exc:
            raise PluginFailed(plugin, name, exc) from exc
    return results


class PluginFailed(CcctlError):
    """A plugin raised inside a hook; names the plugin and the hook (exit 1)."""

    def __init__(self, plugin: str, hook: str, error: BaseException) -> None:
        self.plugin, self.hook, self.error = plugin, hook, error
        super().__init__(f"plugin '{plugin}' failed in {hook}: {error}")


def _pm_of(target) -> pluggy.PluginManager:
    if isinstance(target, pluggy.PluginManager):
        return target
    app = getattr(target, "app", target)
    return app.pm


def _trace_before(hook_name, hook_impls, kwargs) -> None:
    plugins = ", ".join(i.plugin_name for i in reversed(hook_impls)) or "no plugin"
    args = ", ".join(f"{k}={_short(v)}" for k, v in kwargs.items())
    print(f"ccctl trace: {hook_name}({args}) -> {plugins}", file=sys.stderr)


def _trace_after(outcome, hook_name, hook_impls, kwargs) -> None:
    if outcome.exception is not None:
        print(f"ccctl trace: {hook_name} raised {type(outcome.exception).__name__}: {outcome.exception}",
              file=sys.stderr)
    else:
        print(f"ccctl trace: {hook_name} returned {_short(outcome.get_result())}", file=sys.stderr)


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
