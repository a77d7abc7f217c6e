"""Secrets are references (``${ENV_VAR}`` or ``file:/path``), resolved only when used."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ccctl.errors import CcctlError

ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
SECRET_WORDS = ("password", "secret", "token", "api_key", "auth", "private_key")
# Settings whose names hold a secret word but whose values are none: a method, an endpoint's address
# (the email plugin refuses user:password@ in those addresses).
NOT_SECRET_KEYS = ("auth", "token_url", "device_authorization_url", "authorization_url")


def is_reference(value: object) -> bool:
    return isinstance(value, str) and (bool(ENV_REF.match(value)) or value.startswith("file:"))


def looks_secret(key: str) -> bool:
    key = key.lower()
    return key not in NOT_SECRET_KEYS and any(word in key for word in SECRET_WORDS)


def resolve_secret(value: str | None, what: str = "secret") -> str | None:
    """The secret's value; a clear error names the missing variable or file."""
    if value is None:
        return None
    match = ENV_REF.match(value)
    if match:
        name = match.group(1)
        if name not in os.environ:
            raise CcctlError(f"{what}: environment variable {name} is not set")
        return os.environ[name]
    if value.startswith("file:"):
        path = Path(value[5:]).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CcctlError(f"{what}: cannot read {path}: {exc.strerror}") from None
    raise CcctlError(f"{what}: must be a reference like ${{ENV_VAR}} or file:/path")


def mask(value: object) -> object:
    """What to print for a secret-bearing value: references are shown, anything else hidden."""
    return value if is_reference(value) else "***"
