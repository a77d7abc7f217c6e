"""Command-line entry point: ``create_cli(pm)`` builds the whole CLI for a plugin manager.

Exit codes: 0 success, 1 failure (``CcctlError``), 2 bad usage, bad input or bad config
(``InputError``, ``ConfigError``); :class:`CcctlGroup` is the one place that maps them.
"""

from __future__ import annotations

import sys

import click

from ccctl import __version__

EPILOG = """\b
Examples:
  ccctl tenant apply -f examples/clients/ --dry-run
  ccctl customer find "+33 6 12 34 56 78" --tenant voyages-lumiere
  ccctl customer show 88 --format json
  CCCTL_LOAD_PLUGINS='' ccctl plugins      # start with no plugin at all

Environment: CCCTL_DATABASE_URL (default: SQLite in the user data dir),
CCCTL_TENANT (default tenant), CCCTL_LOAD_PLUGINS (comma list of plugins to load).
"""


class CcctlGroup(click.Group):
    """The top-level group: ccctl's domain errors (plain exceptions, from core or a plugin)
    become click errors with their exit code, so click prints ``Error: ...`` and exits."""

    def invoke(self, ctx: click.Context):
        from ccctl.errors import DomainError

        try:
            return super().invoke(ctx)
        except DomainError as exc:
            error = click.ClickException(exc.message)
            error.exit_code = exc.exit_code
            raise error from exc


def create_cli(pm) -> click.Group:
    """A fresh CLI bound to ``pm``: core commands plus whatever plugins register."""

    @click.group(cls=CcctlGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="ccctl")
    @click.option("--database-url", envvar="CCCTL_DATABASE_URL", metavar="URL",
                  help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db.")
    @click.option("--disable-plugin", multiple=True, metavar="NAME",
                  help="Do not load plugin NAME (repeatable).")
    @click.option("--utc", is_flag=True, envvar="CCCTL_UTC",
                  help="Show times in tables in UTC (default: the tenant's time zone, named).")
    @click.pass_context
    def cli(ctx: click.Context, database_url: str | None, disable_plugin: tuple[str, ...], utc: bool) -> None:
        """ccctl: multi-client contact-centre toolkit (tenants, universal queue, customer history)."""
        from ccctl.clock import force_utc
        from ccctl.context import App  # not at import time: `ccctl --help` never needs it

        force_utc(utc)
        ctx.obj = App(pm, database_url)
        ctx.call_on_close(ctx.obj.close)  # connections closed while the process still runs normally

    from ccctl.commands import (agent, audit, customer, db, item, lifecycle, plugins_cmd, queue, report, retention,
                                route, serve, tenant)
    from ccctl.commands import status

    for module in (tenant, lifecycle, customer, queue, agent, item, route, serve, report, audit, retention,
                   plugins_cmd, db, status):
        module.register(cli)
    from ccctl.plugins import hook_caller

    hook_caller(pm, "ccctl_register_commands")(cli=cli)
    return cli


def _disabled_from_argv(argv: list[str]) -> list[str]:
    """``--disable-plugin`` must act before plugins load, so it is read ahead of click."""
    names = []
    for i, arg in enumerate(argv):
        if arg == "--disable-plugin" and i + 1 < len(argv):
            names.append(argv[i + 1])
        elif arg.startswith("--disable-plugin="):
            names.append(arg.split("=", 1)[1])
    return names


def main(argv: list[str] | None = None) -> None:
    from ccctl.plugins import get_plugin_manager

    argv = sys.argv[1:] if argv is None else argv
    disabled = _disabled_from_argv(argv)
    try:
        pm = get_plugin_manager(disabled=disabled)
    except Exception as exc:  # a broken plugin must not hide the way out
        raise SystemExit(
            f"Error: a plugin failed to load: {type(exc).__name__}: {exc}\n"
            "Start without it: --disable-plugin NAME, or CCCTL_LOAD_PLUGINS='' for no plugin at all."
        ) from None
    try:
        create_cli(pm)(args=argv, prog_name="ccctl")
    finally:
        _skip_exit_collections()


def _skip_exit_collections() -> None:
    """The process ends next: the interpreter's own collections at exit would rescan every
    object still alive (SQLAlchemy, the models: ~100,000) for nothing, ~0.13 s after a batch
    command. Safe because by now the command's work is committed and its connections closed
    (``App.close``); files that commands write are closed by click or ``with`` blocks."""
    import gc

    gc.freeze()
