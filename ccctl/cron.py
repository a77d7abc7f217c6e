"""One rule for every cron-style command (``sms dispatch``, ``sms sync``, ``email fetch``,
``queue escalate``...): which tenants, each on its own, what is printed and the exit code.

* ``-t SLUG`` / ``$CCCTL_TENANT``: that tenant only; ``--all-tenants`` (also the default when
  neither is given): every tenant that enables the command's plugin. ``--all-tenants`` wins
  over ``$CCCTL_TENANT`` (a crontab line says what it means even if the environment leaks in).
* Each tenant is worked on its own: broken settings or secrets, a provider that refuses the
  credentials or cannot be reached, skip that tenant (named on stderr); the others proceed.
* Exit codes (:data:`EXIT_CODES`): 0 all done or nothing to do; 1 a tenant was skipped, or
  work failed or was left pending by a fault; 2 bad usage (unknown tenant, ``-t`` with
  ``--all-tenants``, a named tenant that does not enable the plugin).
* ``--quiet``: nothing at all on stdout or stderr unless something went wrong.

Each tenant's run is recorded in ``cron_runs`` (last run, last success, last problem) for
``ccctl status``. Keep this module light: every CLI start-up imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import click

from ccctl.errors import DomainError

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
EXIT_CODES = {
    EXIT_OK: "everything due was done, or there was nothing to do",
    EXIT_PROBLEM: "a tenant was skipped (settings, secrets, provider down or refusing the credentials), "
                  "or work failed or was left pending by a fault: stderr names each tenant",
    EXIT_USAGE: "bad usage: unknown tenant, -t with --all-tenants, or the tenant does not enable the plugin",
}
CRON_EPILOG = ("Tenants: -t SLUG or $CCCTL_TENANT for one; --all-tenants (the default unless said otherwise) "
               "for every tenant enabling the plugin. Exit codes: 0 done, 1 a tenant skipped or work failed or left "
               "pending (named on stderr), 2 bad usage. --quiet prints nothing unless something went wrong.")


@dataclass
class TenantOutcome:
    slug: str
    tenant_id: int | None
    problem: str | None = None   # why the tenant was skipped or what was left undone
    detail: dict = field(default_factory=dict)


class CronRun:
    """What one cron command did per tenant; decides what is printed and the exit code."""

    def __init__(self, job: str, quiet: bool = False) -> None:
        self.job, self.quiet = job, quiet
        self.outcomes: dict[str, TenantOutcome] = {}

    def _outcome(self, tenant) -> TenantOutcome:
        slug = getattr(tenant, "slug", tenant)
        if slug not in self.outcomes:
            self.outcomes[slug] = TenantOutcome(slug, getattr(tenant, "id", None))
        return self.outcomes[slug]

    def ok(self, tenant, **detail) -> None:
        """The tenant was worked on (counts kept for the run record)."""
        self._outcome(tenant).detail.update(detail)

    def problem(self, tenant, what: str) -> None:
        """The tenant was skipped, or some of its work failed or stays pending: said on stderr now."""
        outcome = self._outcome(tenant)
        outcome.problem = f"{outcome.problem}; {what}" if outcome.problem else what
        click.echo(f"error: {self.job}: tenant {outcome.slug}: {what}", err=True)

    @property
    def problems(self) -> list[TenantOutcome]:
        return [o for o in self.outcomes.values() if o.problem]

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEM if self.problems else EXIT_OK

    @property
    def silent(self) -> bool:
        """--quiet and all went well: print nothing."""
        return self.quiet and not self.problems

    def each(self, tenants, work: Callable) -> list:
        """``work(tenant)`` for every tenant; a failure skips that tenant only. Returns the results."""
        results = []
        for tenant in tenants:
            self._outcome(tenant)
            try:
                results.append(work(tenant))
            except (DomainError, click.ClickException) as exc:  # CcctlError, InputError, ConfigError, click's
                self.problem(tenant, f"skipped: {exc.format_message()}")
            except ValueError as exc:  # settings that no longer validate (pydantic), a bad stored value
                self.problem(tenant, f"skipped: {exc}")
            except Exception as exc:  # noqa: BLE001 - one client never stops the others
                # Named by its kind only: its text may quote SQL and a customer's data.
                self.problem(tenant, f"skipped after an unexpected {type(exc).__name__} "
                                     f"(run it alone with -t {tenant.slug} to see it)")
        return results

    def emit(self, rows, columns, fmt) -> None:
        from ccctl.output import emit

        if not self.silent:
            emit(rows, columns, fmt)

    def emit_object(self, obj, fmt) -> None:
        from ccctl.output import emit_object

        if not self.silent:
            emit_object(obj, fmt)

    def note(self, text: str) -> None:
        """A line for people on stderr (hidden by --quiet when all went well)."""
        if not self.silent:
            click.echo(text, err=True)

    def finish(self, app, record: bool = True) -> None:
        """Record the run per tenant (not a dry run), then exit 1 naming every tenant with a problem."""
        try:
            if record:
                record_runs(app, self.job, list(self.outcomes.values()))
        except Exception as exc:  # noqa: BLE001 - the work is done; losing the record must not hide it
            click.echo(f"warning: {self.job}: could not record the run for `ccctl status`: {exc}", err=True)
        if self.problems:
            from ccctl.errors import CcctlError

            names = ", ".join(o.slug for o in self.problems)
            raise CcctlError(f"{self.job}: {len(self.problems)} tenant(s) with problems: {names}")


def record_runs(app, job: str, outcomes: list[TenantOutcome]) -> None:
    """One short write transaction, after the work (never around a network call). Two runs of a
    job finishing together may both make a tenant's first row: ``INSERT ... ON CONFLICT DO
    NOTHING`` keeps one, and both then update it under a row lock."""
    from sqlalchemy import select

    from ccctl.db.models import CronRunRecord, utcnow
    from ccctl.db.upsert import insert_or_skip

    outcomes = [o for o in outcomes if o.tenant_id is not None]
    if not outcomes:
        return
    now = utcnow()

    def rows(session) -> dict:
        return {r.tenant_id: r for r in session.scalars(select(CronRunRecord).where(
            CronRunRecord.job == job, CronRunRecord.tenant_id.in_([o.tenant_id for o in outcomes]))
            .with_for_update().execution_options(populate_existing=True))}

    with app.transaction(sqlite_begin="IMMEDIATE") as session:
        known = rows(session)
        missing = [o.tenant_id for o in outcomes if o.tenant_id not in known]
        for tenant_id in missing:
            insert_or_skip(session, CronRunRecord, dict(job=job, tenant_id=tenant_id, runs=0),
                           conflict=("job", "tenant_id"), returning=CronRunRecord.id)
        if missing:
            known = rows(session)
        for outcome in outcomes:
            row = known[outcome.tenant_id]
            row.last_run_at = now
            row.runs = (row.runs or 0) + 1
            if outcome.problem:
                row.last_problem_at, row.last_problem = now, outcome.problem[:2000]
            else:
                row.last_ok_at = now


def select_tenants(app, session, tenant_slug: str | None, all_tenants: bool, plugin: str | None,
                   usable: Callable | None = None) -> list:
    """The tenants this run is for (see the module docstring); ``usable(tenant)`` narrows --all-tenants."""
    from ccctl.errors import InputError
    from ccctl.tenant_lookup import list_tenants

    if tenant_slug and not all_tenants:
        tenant = app.tenant(session, tenant_slug)
        if plugin and plugin not in tenant.enabled_plugins():
            raise InputError(f"tenant {tenant.slug} does not enable the {plugin} plugin "
                             f"(plugins.{plugin}.enabled in its YAML)")
        return [tenant]
    # Archived tenants take no new work and are passed by (name one with -t to reach it anyway).
    return list_tenants(session, plugin=plugin, active=True, where=usable)


def cron_command(job: str, plugin: str | None = None, usable: Callable | None = None, explicit: bool = False):
    """Decorator for a cron command: adds -t/--tenant, --all-tenants and --quiet, picks the
    tenants, and calls ``func(app, tenants, run, **other_options)``; then records and exits.
    ``explicit``: a destructive command needs -t or --all-tenants said (no default).

    ``func`` works each tenant through ``run.each`` (or calls ``run.problem`` itself) and prints
    through ``run.emit``/``run.emit_object``/``run.note`` so --quiet holds.
    """

    def decorate(func):
        @click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something went wrong (for cron).")
        @click.option("--all-tenants", is_flag=True,
                      help="Every tenant enabling the plugin (the default; wins over $CCCTL_TENANT).")
        @click.option("--tenant", "-t", "tenant_slug", envvar="CCCTL_TENANT", metavar="SLUG",
                      help="Only this tenant (default: $CCCTL_TENANT, else every tenant).")
        @functools.wraps(func)
        def wrapper(tenant_slug, all_tenants, quiet, **kwargs):
            from click.core import ParameterSource

            from ccctl.context import App

            ctx = click.get_current_context()
            if all_tenants and tenant_slug and ctx.get_parameter_source("tenant_slug") != ParameterSource.ENVIRONMENT:
                raise click.UsageError("give -t SLUG or --all-tenants, not both")
            if explicit and not (tenant_slug or all_tenants):
                from ccctl.errors import InputError

                raise InputError("say which tenants: -t SLUG (or $CCCTL_TENANT) or --all-tenants")
            app = ctx.find_object(App)
            run = CronRun(job, quiet)
            with app.transaction(commit=False) as session:
                tenants = select_tenants(app, session, tenant_slug, all_tenants, plugin, usable)
                session.expunge_all()
            func(app, tenants, run, **kwargs)
            run.finish(app, record=not kwargs.get("dry_run"))

        wrapper.__doc__ = (func.__doc__ or "").rstrip() + "\n\n" + CRON_EPILOG
        return wrapper

    return decorate
