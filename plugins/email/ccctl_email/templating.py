"""Tenant-written Jinja2 templates, rendered in a sandbox (a client's YAML must not reach Python)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # StrictUndefined: a misspelt variable is an error, not a silently empty greeting.
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                         keep_trailing_newline=True)


def check_template(text: str) -> None:
    """Raise ValueError naming the line when ``text`` is not a valid template."""
    from jinja2 import TemplateSyntaxError

    try:
        environment().from_string(text)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template error line {exc.lineno}: {exc.message}") from None


def render(text: str, data: dict[str, Any], what: str = "template") -> str:
    from jinja2 import TemplateError

    from ccctl.errors import CcctlError

    try:
        return environment().from_string(text).render(**data)
    except TemplateError as exc:
        raise CcctlError(f"{what}: {exc}") from None


def builtin(name: str) -> str | None:
    """A template shipped in ``ccctl_email/templates`` (e.g. ``ack.fr.j2``), or None."""
    path = resources.files("ccctl_email") / "templates" / name
    return path.read_text(encoding="utf-8") if path.is_file() else None
