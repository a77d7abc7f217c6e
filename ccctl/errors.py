"""Errors with the exit codes the CLI documents (1: failure, 2: bad input or config)."""

from __future__ import annotations

import click


class CcctlError(click.ClickException):
    """A failure the operator can act on; exit code 1."""

    exit_code = 1


class InputError(click.ClickException):
    """Bad input (file, config, argument value); exit code 2, like a usage error."""

    exit_code = 2


class ConfigError(InputError):
    """A configuration problem located at ``file:line`` and ``key``."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.file, self.line, self.key, self.reason = file, line, key, message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = f"{where}: " if where else ""
        keypart = f"key '{key}': " if key else ""
        super().__init__(f"{prefix}{keypart}{message}")
