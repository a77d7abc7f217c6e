"""The real CLI, in-process, against a test database; asserts the exit code it is told to expect."""

from __future__ import annotations

import json
from collections.abc import Iterable


def plugin_manager(*plugins: object, load_entrypoints: bool = True):
    """A plugin manager with the installed plugins plus ``plugins`` (``(name, object)`` pairs, or
    objects for host code every tenant gets).  A pair named like an installed plugin replaces it."""
    from ccctl.plugins import get_plugin_manager

    return get_plugin_manager(load_entrypoints=load_entrypoints, extra=plugins)


class Runner:
    """``runner("tenant", "apply", "-f", path)`` runs ``ccctl --database-url DB tenant apply -f path``.

    ``code=`` is the exit code wanted (0 by default; the output is shown when it differs);
    ``runner.json(...)`` adds ``--format json`` and parses stdout.
    """

    def __init__(self, db_url: str, pm=None) -> None:
        self.db_url, self.pm = db_url, pm

    def __call__(self, *args: object, input: str | None = None, code: int = 0, env: dict | None = None):
        from click.testing import CliRunner

        from ccctl.cli import create_cli
        from ccctl.plugins import get_plugin_manager

        cli = create_cli(self.pm or get_plugin_manager())
        result = CliRunner().invoke(
            cli, ["--database-url", self.db_url, *map(str, args)], input=input,
            env={"CCCTL_TENANT": None, **(env or {})}, catch_exceptions=False,
        )
        assert result.exit_code == code, (
            f"ccctl {' '.join(map(str, args))} exited {result.exit_code}, wanted {code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return result

    def json(self, *args: object, **kwargs):
        return json.loads(self(*args, "--format", "json", **kwargs).stdout)

    def with_plugins(self, *plugins: Iterable) -> Runner:
        """The same database, a CLI built with ``plugins`` added (see :func:`plugin_manager`)."""
        return Runner(self.db_url, plugin_manager(*plugins))
