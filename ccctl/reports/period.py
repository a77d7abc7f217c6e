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
    """Start of the local day or hour ``moment`` falls in, as a UTC instant.

    UTC keys keep the two 02:00 hours of a DST fall-back night apart (local wall times
    that differ only by ``fold`` compare equal in Python).
    """
    local = moment.astimezone(zone)
    if by == "hour":
        local = local.replace(minute=0, second=0, microsecond=0)
    else:
        local = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    return local.astimezone(timezone.utc)


def buckets(period: Period, by: str) -> list[datetime]:
    """Every bucket start (UTC instants) of the period, in order, empty ones included."""
    out, moment = [], period.start
    while moment < period.end:
        start = bucket_start(moment, period.zone, by)
        if not out or out[-1] != start:
            out.append(start)
        if by == "hour":  # hours step in UTC: a DST night has 23 or 25 of them
            moment = moment + timedelta(hours=1)
        else:
            moment = _midnight(start.astimezone(period.zone).date() + timedelta(days=1), period.zone)
    return out


def bucket_label(start: datetime, by: str, zone: ZoneInfo) -> str:
    """Local label; the repeated hour of a DST fall-back night carries its UTC offset."""
    local = start.astimezone(zone)
    if by != "hour":
        return local.strftime("%Y-%m-%d")
    label = local.strftime("%Y-%m-%d %H:00")
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        label += local.strftime(" %z")[:-2] + ":" + local.strftime("%z")[-2:]
    return label
