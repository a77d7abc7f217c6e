"""When a tenant may send: quiet hours and days for everything, marketing windows, public holidays.

Safe French defaults (tenant settings, not hard-coded law): transactional messages go at any
time unless the tenant sets quiet hours; marketing only Monday-Saturday 10:00-20:00, never on a
public holiday (the tenant's ``holidays`` calendar plus ``extra_holidays``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from ccctl.config.model import DAYS, parse_ranges
from ccctl_sms.config import SmsConfig

WHOLE_DAY = [(time(0, 0), time.max)]
HORIZON_DAYS = 400  # a window must come within a year or so, else the settings forbid everything


class SendingRules:
    def __init__(self, config: SmsConfig, timezone: str = "Europe/Paris", holidays_country: str | None = "FR"):
        self.config, self.zone, self.country = config, ZoneInfo(timezone), holidays_country

    @classmethod
    def for_tenant(cls, tenant, config: SmsConfig) -> SendingRules:
        return cls(config, tenant.timezone, tenant.config.get("holidays"))

    @cached_property
    def _quiet(self) -> list[tuple[time, time]]:
        return parse_ranges(self.config.quiet_hours) if self.config.quiet_hours else []

    def is_holiday(self, day: date) -> bool:
        if day in self.config.extra_holidays:
            return True
        if not self.country:
            return False
        return day in _calendar(self.country, day.year)

    def windows(self, day: date, kind: str) -> list[tuple[time, time]]:
        """Local-time ranges of ``day`` during which a message of ``kind`` may go."""
        name = DAYS[day.weekday()]
        if name in self.config.quiet_days:
            return []
        if kind == "marketing":
            if self.is_holiday(day) and not self.config.marketing_on_holidays:
                return []
            ranges = self.config.marketing_hours.get(name)
            base = parse_ranges(ranges) if ranges else []
        else:
            base = WHOLE_DAY
        return _subtract(base, self._quiet)

    def next_allowed(self, moment: datetime, kind: str) -> datetime | None:
        """``moment`` itself when allowed, else the start of the next window (None: never)."""
        local = moment.astimezone(self.zone)
        for offset in range(HORIZON_DAYS):
            day = local.date() + timedelta(days=offset)
            for start, end in self.windows(day, kind):
                begin = datetime.combine(day, start, self.zone)
                finish = datetime.combine(day, end, self.zone)
                if local < finish:
                    return moment if local >= begin else begin.astimezone(moment.tzinfo)
        return None


def _subtract(base: list[tuple[time, time]], holes: list[tuple[time, time]]) -> list[tuple[time, time]]:
    out = []
    for start, end in base:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            pieces = [p for a, b in pieces for p in ((a, min(b, h_start)), (max(a, h_end), b)) if p[0] < p[1]]
        out.extend(pieces)
    return out


_CALENDARS: dict[tuple[str, int], object] = {}


def _calendar(country: str, year: int):
    key = (country, year)
    if key not in _CALENDARS:
        import holidays

        _CALENDARS[key] = holidays.country_holidays(country, years=year)
    return _CALENDARS[key]
