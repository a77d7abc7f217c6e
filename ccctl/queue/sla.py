"""SLA due times counted in a tenant's business hours, skipping public holidays (pure functions).

Opening ranges are read in the tenant's local time, then turned into real (UTC) instants,
so a range that spans a DST change lasts what the wall clock says it lasts.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ccctl.config.model import DAYS, expand_days, parse_ranges
from ccctl.queue.holiday_dates import holiday_dates

MAX_DAYS = 3660  # give up looking for an open day after ten years


def weekly_hours(spec: dict[str, Any] | None) -> dict[int, list[tuple[time, time | None]]]:
    """``{"mon-fri": ["09:00-18:00"], "sat": "10:00-13:00"}`` → weekday → ranges (end None = midnight)."""
    out: dict[int, list[tuple[time, time | None]]] = {}
    for days, ranges in (spec or {}).items():
        parsed = [(start, None if end == time.max else end) for start, end in parse_ranges(ranges)]
        for day in expand_days(days):
            out[DAYS.index(day)] = parsed
    return out


def _frozen(spec: dict[str, Any] | None):
    """A hashable copy of a business-hours dict (the cache key: one parse per distinct config)."""
    return tuple((days, tuple(ranges) if isinstance(ranges, list) else ranges)
                 for days, ranges in (spec or {}).items())


@lru_cache(maxsize=256)
def _cached_weekly_hours(frozen) -> dict[int, list[tuple[time, time | None]]]:
    # Callers only read the result; add_business_minutes runs once per item created.
    return weekly_hours({days: list(ranges) if isinstance(ranges, tuple) else ranges for days, ranges in frozen})


def is_holiday(day: date, country: str | None) -> bool:
    return bool(country) and day in holiday_dates(country, day.year)


def open_windows(day: date, hours: dict[int, list[tuple[time, time | None]]], zone: ZoneInfo,
                 country: str | None) -> list[tuple[datetime, datetime]]:
    """The UTC instants the centre is open on local date ``day``."""
    if is_holiday(day, country):
        return []
    windows = []
    for start, end in hours.get(day.weekday(), []):
        begin = datetime.combine(day, start, zone)
        finish = datetime.combine(day + timedelta(days=1), time(0), zone) if end is None \
            else datetime.combine(day, end, zone)
        windows.append((begin.astimezone(timezone.utc), finish.astimezone(timezone.utc)))
    return windows


@lru_cache(maxsize=4096)
def _cached_windows(day: date, frozen, tz: str, country: str | None) -> tuple[tuple[datetime, datetime], ...]:
    # A batch of items created the same day asks for the same few days' windows thousands of times.
    return tuple(open_windows(day, _cached_weekly_hours(frozen), ZoneInfo(tz), country))


def add_business_minutes(start: datetime, minutes: int, business_hours: dict[str, Any] | None,
                         tz: str = "UTC", country: str | None = None) -> datetime:
    """The instant ``minutes`` of opening time after ``start`` (aware), in UTC.

    No business hours at all means always open. A start outside hours waits for the next
    opening; a zero SLA is due at that opening.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    start = start.astimezone(timezone.utc)
    frozen = _frozen(business_hours)
    if not _cached_weekly_hours(frozen):
        return start + timedelta(minutes=minutes)
    left = timedelta(minutes=minutes)
    day = start.astimezone(ZoneInfo(tz)).date() - timedelta(days=1)  # a window may begin the day before
    for _ in range(MAX_DAYS):
        for begin, finish in _cached_windows(day, frozen, tz, country):
            if finish <= start:
                continue
            begin = max(begin, start)
            if begin + left <= finish:
                return begin + left
            left -= finish - begin
        day += timedelta(days=1)
    raise ValueError(f"no opening hours found within {MAX_DAYS} days of {start:%Y-%m-%d}")


def add_business_days(start: datetime, days: int, business_hours: dict[str, Any] | None,
                      tz: str = "UTC", country: str | None = None) -> datetime:
    """The first opening of the ``days``-th open day after ``start``'s local date, in UTC (a follow-up
    "3 business days later"); weekends, closed days and public holidays do not count.
    No business hours at all means always open: ``days`` calendar days later."""
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    frozen = _frozen(business_hours)
    if not _cached_weekly_hours(frozen):
        return start.astimezone(timezone.utc) + timedelta(days=days)
    day = start.astimezone(ZoneInfo(tz)).date()
    for _ in range(MAX_DAYS):
        day += timedelta(days=1)
        windows = _cached_windows(day, frozen, tz, country)
        if windows:
            days -= 1
            if days <= 0:
                return windows[0][0]
    raise ValueError(f"no opening hours found within {MAX_DAYS} days of {start:%Y-%m-%d}")


def due_at(start: datetime, queue: dict[str, Any], tenant_config: dict[str, Any]) -> datetime:
    """Due time of an item entering ``queue`` (its YAML dict) at ``start`` for a tenant's config."""
    from ccctl.config.model import parse_duration

    minutes = parse_duration(queue.get("sla", "24h"))
    if queue.get("sla_clock", "business") == "calendar":
        return start.astimezone(timezone.utc) + timedelta(minutes=minutes)
    return add_business_minutes(start, minutes, tenant_config.get("business_hours"),
                                tenant_config.get("timezone") or "UTC", tenant_config.get("holidays"))
