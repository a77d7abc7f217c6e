"""SMS templates per tenant and locale, rendered by a sandboxed Jinja2.

A tenant's ``plugins.sms.templates`` maps a name to texts per locale (``fr``, ``fr_FR``,
``en``...); the plugin ships defaults in ``ccctl_sms/templates/<name>.<locale>.txt``
(the callback plugin's ``callback_confirmation`` for one). Lookup order for locale
``fr_FR``: ``fr_FR``, then ``fr``, then the tenant's locale, then any.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ccctl.errors import InputError

BUILTIN = Path(__file__).parent / "templates"


@cache
def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def check_template(text: str) -> None:
    """Raise ValueError naming the line when ``text`` is not a valid template."""
    from jinja2 import TemplateSyntaxError

    try:
        _environment().from_string(text)
    except TemplateSyntaxError as exc:
        raise ValueError(f"line {exc.lineno}: {exc.message}") from None


def builtin_templates() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for path in sorted(BUILTIN.glob("*.txt")):
        name, _, locale = path.stem.partition(".")
        found.setdefault(name, {})[locale or "fr"] = path.read_text(encoding="utf-8").strip()
    return found


def find_template(templates: dict[str, dict[str, str]], name: str, locale: str | None,
                  tenant_locale: str) -> tuple[str, str]:
    """(locale used, template text) for ``name``; tenant templates first, then built-in ones."""
    by_locale = templates.get(name) or builtin_templates().get(name)
    if not by_locale:
        known = sorted(set(templates) | set(builtin_templates()))
        raise InputError(f"no SMS template '{name}' (known: {', '.join(known) or 'none'})")
    wanted = [locale, (locale or "").split("_")[0], tenant_locale, tenant_locale.split("_")[0]]
    for candidate in wanted:
        if candidate and candidate in by_locale:
            return candidate, by_locale[candidate]
    first = next(iter(by_locale))
    return first, by_locale[first]


@cache
def _compiled(text: str):
    return _environment().from_string(text)  # a schedule renders one template thousands of times


def render(text: str, data: dict[str, Any], what: str = "template") -> str:
    """Render ``text`` with ``data``; a missing variable or a sandbox refusal is an InputError."""
    from jinja2 import TemplateError

    try:
        return _compiled(text).render(**data).strip()
    except TemplateError as exc:
        raise InputError(f"{what}: {exc}") from None
