"""``ccctl status``: one tenant's health as rows a person or a monitoring system can read.

Core checks settings, secrets, the queue and the cron jobs' last runs (``cron_runs``); each
enabled plugin adds its own through ``ccctl_tenant_status`` (provider reachable, outbox backlog,
stuck rows). Nothing here writes; provider probes run with no transaction open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


STALE_DEFAULTS = {"*": "2h", "retention apply": "2d", "faq sync": "1d"}


def stale_limits(given: tuple[str, ...] | list[str]) -> dict[str, timedelta]:
    """``("30m", "sms sync=1h")`` -> {"*": 30 min, "sms sync": 1 h, ...the defaults for the rest}."""
    from ccctl.config.model import parse_duration

    limits = {job: timedelta(minutes=parse_duration(text)) for job, text in STALE_DEFAULTS.items()}
    for item in given:
        job, _, text = item.rpartition("=")
        limits[job.strip() or "*"] = timedelta(minutes=parse_duration(text.strip()))
    return limits


@dataclass
class Check:
    tenant: str
    check: str
    ok: bool
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "check": self.check, "status": "ok" if self.ok else "PROBLEM",
                "detail": self.detail, **self.figures}


class Reporter:
    """The ``report`` a plugin's ``ccctl_tenant_status`` calls; ``probe`` is False under --no-probe
    (then skip network checks)."""

    def __init__(self, slug: str, probe: bool = True) -> None:
        self.slug, self.probe, self.checks = slug, probe, []

    def __call__(self, check: str, ok: bool, detail: str = "", **figures) -> None:
        self.checks.append(Check(self.slug, check, bool(ok), detail, figures))


def tenant_checks(app, tenant, stale_after: dict[str, timedelta], probe: bool = True) -> list[Check]:
    report = Reporter(tenant.slug, probe)
    settings_ok = _settings(app, tenant, report)
    _secrets(tenant, report)
    with app.session() as session:
        _queue(session, tenant, report)
        _cron_runs(session, tenant, stale_after, report)
    if settings_ok:
        try:
            app.hook(tenant, "ccctl_tenant_status")(app=app, tenant=tenant, report=report)
        except Exception as exc:  # noqa: BLE001 - a broken plugin check is itself a finding
            report("plugin checks", False, f"{type(exc).__name__}: {exc}")
    return report.checks


def _settings(app, tenant, report) -> bool:
    from pydantic import ValidationError

    from ccctl.config.model import PluginSection, TenantConfig

    schemas = app.config_schemas()
    installed = {name for name, _ in app.pm.list_name_plugin()}
    problems = []
    try:
        TenantConfig.model_validate(tenant.config)
    except ValidationError as exc:
        problems.append(_first_error(exc, ""))
    for name in tenant.enabled_plugins():
        if name not in installed:
            problems.append(f"plugins.{name}: enabled but not installed")
            continue
        try:
            schemas.get(name, PluginSection).model_validate(tenant.plugin_config(name))
        except ValidationError as exc:
            problems.append(_first_error(exc, f"plugins.{name}."))
    report("settings", not problems, "; ".join(problems) or f"valid (source: {tenant.source or 'unknown'})")
    return not problems


def _first_error(exc, prefix: str) -> str:
    err = exc.errors()[0]
    return f"{prefix}{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def _secrets(tenant, report) -> None:
    from ccctl.config.secrets import is_reference, resolve_secret

    missing, count = [], 0
    for path, value in _leaves(tenant.config):
        if is_reference(value):
            count += 1
            try:
                resolve_secret(value, path)
            except Exception as exc:  # noqa: BLE001 - CcctlError naming the variable or file
                missing.append(str(getattr(exc, "message", exc)))
    report("secrets", not missing, "; ".join(missing) or f"{count} reference(s) resolve", references=count)


def _leaves(data, path: str = ""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, data


def _queue(session, tenant, report) -> None:
    from ccctl.queue.views import queue_stats

    rows = queue_stats(session, tenant)
    waiting = sum(r["open"] + r["claimed"] for r in rows)
    breached = sum(r["breached"] for r in rows)
    report("queue backlog", True, f"{waiting} open or claimed, {breached} past their SLA",
           backlog=waiting, breached=breached)


def _cron_runs(session, tenant, stale_after: dict[str, timedelta], report) -> None:
    from sqlalchemy import select

    from ccctl.db.models import CronRunRecord, utcnow

    now = utcnow()
    for run in session.scalars(select(CronRunRecord).where(CronRunRecord.tenant_id == tenant.id)
                               .order_by(CronRunRecord.job)):
        failing = run.last_problem_at is not None and (run.last_ok_at is None or run.last_problem_at > run.last_ok_at)
        stale = run.last_ok_at is None or now - run.last_ok_at > stale_after.get(run.job, stale_after["*"])
        if failing:
            detail = f"last run had a problem: {run.last_problem}"
        elif stale:
            detail = f"no successful run since {run.last_ok_at:%Y-%m-%d %H:%M} UTC" if run.last_ok_at else "never succeeded"
        else:
            detail = f"last success {run.last_ok_at:%Y-%m-%d %H:%M:%S} UTC"
        report(f"cron {run.job}", not (failing or stale), detail, last_ok=run.last_ok_at, last_run=run.last_run_at)
