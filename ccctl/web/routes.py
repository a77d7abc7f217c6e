"""Collecting plugins' routes: each hookimpl is called on its own so we know which plugin owns which route."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pluggy

from ccctl.plugins import each_plugin, plugin_names

PATH = re.compile(r"^/[A-Za-z0-9._~{}:/-]*$")


@dataclass(frozen=True)
class PluginRoute:
    plugin: str
    path: str  # relative to /t/<tenant>, starts with "/"
    endpoint: Callable
    methods: tuple[str, ...]
    name: str | None


def plugin_routes(pm: pluggy.PluginManager) -> list[PluginRoute]:
    """Every route every loaded plugin registers, with its owner; bad or clashing ones raise ValueError."""
    routes: list[PluginRoute] = []
    for plugin, call in each_plugin(pm, "ccctl_register_routes"):
        def register(path: str, endpoint: Callable, methods=("GET",), name: str | None = None,
                     _plugin: str = plugin) -> None:
            if not isinstance(path, str) or not PATH.match(path):
                raise ValueError(f"plugin {_plugin}: route path {path!r} must start with '/' "
                                 "(it is served under /t/<tenant>)")
            if not callable(endpoint):
                raise ValueError(f"plugin {_plugin}: endpoint for {path} is not callable")
            verbs = tuple(m.upper() for m in ([methods] if isinstance(methods, str) else methods))
            routes.append(PluginRoute(_plugin, path, endpoint, verbs, name))

        call(register=register)
    _refuse_clashes(routes)
    return routes


def is_switchable(pm: pluggy.PluginManager, plugin: str) -> bool:
    """False for core and unnamed plugins, which every tenant gets (same rule as tenant hooks)."""
    return plugin in plugin_names(pm)


def _refuse_clashes(routes: list[PluginRoute]) -> None:
    owners: dict[tuple[str, str], str] = {}
    for route in routes:
        for method in route.methods:
            key = (route.path, method)
            if key in owners and owners[key] != route.plugin:
                raise ValueError(f"route {method} {route.path} is registered by both plugin "
                                 f"{owners[key]} and plugin {route.plugin}")
            owners[key] = route.plugin
