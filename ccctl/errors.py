"""Domain errors: plain exceptions, raised alike by commands, the web layer and plugins.

The CLI turns them into exit codes in one place (:func:`ccctl.cli.create_cli`'s group):
``CcctlError`` exits 1 (a failure the operator can act on), ``InputError``/``ConfigError``
exit 2 (bad input or configuration, like a usage error).  The web layer maps them to 4xx
pages without knowing about click.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of ccctl's errors: a message meant for a person, and the exit code it means."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def format_message(self) -> str:
        """The message (the name click gives it; kept for code written against click errors)."""
        return self.message


class CcctlError(DomainError):
    """A failure the operator can act on; exit code 1."""

    exit_code = 1


class InputError(DomainError):
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


def exit_code(error: BaseException) -> int:
    """The exit code ``error`` means (1 for anything that is not a domain error)."""
    return getattr(error, "exit_code", 1) if isinstance(error, DomainError) else 1
