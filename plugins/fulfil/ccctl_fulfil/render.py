"""The tenant's e-mail template for brochures, rendered by a sandboxed Jinja2 (no attribute tricks)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def check_template(text: str) -> None:
    from jinja2 import TemplateSyntaxError

    try:
        _environment().from_string(text)
    except TemplateSyntaxError as exc:
        raise ValueError(f"line {exc.lineno}: {exc.message}") from None


def render(text: str, data: dict[str, Any]) -> str:
    from jinja2 import UndefinedError

    from ccctl.errors import ConfigError

    try:
        return _environment().from_string(text).render(**data)
    except UndefinedError as exc:
        raise ConfigError(f"plugins.fulfil.email: {exc.message} (known: {', '.join(sorted(data))})") from None
