"""Report periods: dates typed on the command line, read in the tenant's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ccctl.errors import InputError

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """``[start, end)`` as aware UTC datetimes, plus the zone buckets are cut in."""

    start: datetime
    end: datetime
    zone: ZoneInfo

    def label(self) -> str:
        last = (self.end.astimezone(self.zone) - timedelta(microseconds=1)).date()
        return f"{self.start.astimezone(self.zone).date()}..{last}"


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option}: '{text}' is not a date like 2026-11-01") from None


def day_period(start: str | None, end: str | None, tz: str, default_days: int = 7,
               today: date | None = None) -> Period:
    """``--from``/``--to`` as whole days, both included; default: the last ``default_days`` days."""
    zone = ZoneInfo(tz)
    today = today or datetime.now(zone).date()
    last = parse_day(end, "--to") if end else today
    first = parse_day(start, "--from") if start else last - timedelta(days=default_days - 1)
    if first > last:
        raise InputError(f"--from {first} is after --to {last}")
    return Period(_midnight(first, zone), _midnight(last + timedelta(days=1), zone), zone)


def month_period(text: str, tz: str) -> Period:
    """``YYYY-MM`` → the calendar month in time zone ``tz``."""
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"--month: '{text}' is not a month like 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    zone = ZoneInfo(tz)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(_midnight(date(year, month, 1), zone), _midnight(following, zone), zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(timezone.utc)


def bucket_start(moment: datetime, zone: ZoneInfo, by: str) -> datetime:
    """Start (local time) of the day or hour ``moment`` falls in."""
    local = moment.astimezone(zone)
    if by == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def buckets(period: Period, by: str) -> list[datetime]:
    """Every bucket start (local) of the period, in order, empty ones included."""
    step = timedelta(hours=1) if by == "hour" else timedelta(days=1)
    out, moment = [], period.start
    while moment < period.end:
        start = bucket_start(moment, period.zone, by)
        if not out or out[-1] != start:
            out.append(start)
        # Step in UTC for hours (DST-safe), in local calendar days for days.
        moment = moment + step if by == "hour" else _midnight(start.date() + step, period.zone)
    return out


def bucket_label(start: datetime, by: str) -> str:
    return start.strftime("%Y-%m-%d %H:00") if by == "hour" else start.strftime("%Y-%m-%d")
