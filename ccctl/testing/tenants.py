"""One builder for tenant YAML in tests: ``tenant_yaml("client-a", plugins={"chat": {...}})``."""

from __future__ import annotations

import textwrap
from typing import Any

DEFAULT_QUEUES = ({"name": "general", "sla": "4h"},)


def tenant_yaml(slug: str, *, name: str | None = None, timezone: str = "Europe/Paris", locale: str = "fr_FR",
                queues: list[dict] | tuple[dict, ...] = DEFAULT_QUEUES,
                business_hours: dict[str, list[str]] | None = None,
                plugins: dict[str, dict[str, Any] | bool] | None = None, extra: str = "",
                **keys: Any) -> str:
    """The text of a valid tenant file.

    ``plugins`` maps a plugin name to its section (a dict) or to True/False (just ``enabled``);
    ``keys`` are further top-level keys (``holidays=None``, ``billing={...}``); ``extra`` is
    raw YAML appended as written (dedented), for cases a dict cannot say (comments, bad input).

    Lists and mappings of scalars are written inline (``- {name: general, sla: 4h}``); the
    ``plugins`` section comes last, so lines appended to the text land inside it.

    >>> print(tenant_yaml("client-a", plugins={"chat": True}), end="")
    tenant: client-a
    name: Client-A
    timezone: Europe/Paris
    locale: fr_FR
    queues:
    - {name: general, sla: 4h}
    plugins:
      chat: {enabled: true}
    """
    import yaml

    document: dict[str, Any] = {"tenant": slug, "name": name or slug.title(), "timezone": timezone,
                                "locale": locale}
    if business_hours is not None:
        document["business_hours"] = business_hours
    document["queues"] = [dict(q) for q in queues]
    document.update(keys)
    if plugins:
        document["plugins"] = {plugin: ({"enabled": section} if isinstance(section, bool) else dict(section))
                               for plugin, section in plugins.items()}
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1000)
    return text + (textwrap.dedent(extra).lstrip("\n") if extra else "")
