"""Helpers for the call-back tests: tenant YAML open round the clock, slot times relative to today."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

TENANT = """\
tenant: {slug}
name: {name}
timezone: Europe/Paris
holidays: {holidays}
business_hours:
  mon-sun: ["00:00-24:00"]
queues:
  - name: rappels
    sla: 1h
plugins:
  callback:
    enabled: true
    capacity: {capacity}
    min_lead: 0m
    horizon_days: 30
    max_attempts: 3
    retry_backoff: [30m, 2h]
{extra}  sms:
    enabled: {sms}
"""


def write_tenant(folder, slug, name="Rappel", capacity=2, sms=True, holidays="null", extra=""):
    path = folder / f"{slug}.yaml"
    path.write_text(TENANT.format(slug=slug, name=name, capacity=capacity, sms=str(sms).lower(),
                                  holidays=holidays, extra=extra), encoding="utf-8")
    return path



def tomorrow(hour: int = 10, minute: int = 30) -> str:
    """A slot start tomorrow, tenant's local time, as the CLI takes it."""
    day = (datetime.now(PARIS) + timedelta(days=1)).date()
    return f"{day} {hour:02d}:{minute:02d}"


def slot_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).astimezone(ZoneInfo("UTC"))
