"""SLA due times in business hours: nights, weekends, holidays, DST both ways, long SLAs."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ccctl.queue.sla import add_business_minutes, due_at

PARIS = ZoneInfo("Europe/Paris")
OFFICE = {"mon-fri": ["09:00-18:00"]}
SPLIT = {"mon-fri": ["09:00-13:00", "14:00-19:00"], "sat": "10:00-13:00"}
ALWAYS = {"mon-sun": ["00:00-24:00"]}


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def due(start, minutes, hours=OFFICE, country="FR"):
    result = add_business_minutes(start, minutes, hours, "Europe/Paris", country)
    assert result.tzinfo is not None
    return result.astimezone(PARIS)


@pytest.mark.parametrize("start, minutes, expected", [
    (paris(2026, 11, 23, 10, 0), 240, paris(2026, 11, 23, 14, 0)),   # inside one day
    (paris(2026, 11, 23, 17, 0), 240, paris(2026, 11, 24, 12, 0)),   # over the night
    (paris(2026, 11, 27, 16, 0), 240, paris(2026, 11, 30, 11, 0)),   # Friday → Monday
    (paris(2026, 11, 28, 10, 0), 60, paris(2026, 11, 30, 10, 0)),    # starts on Saturday
    (paris(2026, 11, 24, 7, 0), 30, paris(2026, 11, 24, 9, 30)),     # starts before opening
    (paris(2026, 11, 24, 22, 0), 30, paris(2026, 11, 25, 9, 30)),    # starts after closing
    (paris(2026, 11, 23, 9, 0), 20 * 60, paris(2026, 11, 25, 11, 0)),  # multi-day: 9h + 9h + 2h
    (paris(2026, 11, 23, 18, 0), 0, paris(2026, 11, 24, 9, 0)),      # zero SLA at closing: next opening
    (paris(2026, 11, 23, 12, 0), 540, paris(2026, 11, 24, 12, 0)),   # exactly one business day
])
def test_office_hours(start, minutes, expected):
    assert due(start, minutes) == expected


def test_split_day_and_saturday_morning():
    assert due(paris(2026, 11, 23, 12, 30), 60, SPLIT) == paris(2026, 11, 23, 14, 30)  # lunch skipped
    assert due(paris(2026, 11, 27, 18, 30), 120, SPLIT) == paris(2026, 11, 28, 11, 30)  # Fri 30m + Sat 1h30


def test_public_holidays_are_skipped():
    # Thu 24 Dec 17:00, 2h: 1h on Thursday, Christmas is closed, the weekend too → Mon 28 10:00.
    assert due(paris(2026, 12, 24, 17, 0), 120) == paris(2026, 12, 28, 10, 0)
    # Without a holiday calendar Christmas is a working Friday.
    assert due(paris(2026, 12, 24, 17, 0), 120, country=None) == paris(2026, 12, 25, 10, 0)
    # Thu 30 Apr → Fri 1 May (Fête du Travail) closed → Monday.
    assert due(paris(2026, 4, 30, 17, 30), 60) == paris(2026, 5, 4, 9, 30)


def test_holidays_follow_the_country():
    # 4 July is a US holiday, not a French one (2025-07-04 is a Friday).
    assert due(paris(2025, 7, 3, 17, 0), 120, country="US") == paris(2025, 7, 7, 10, 0)
    assert due(paris(2025, 7, 3, 17, 0), 120, country="FR") == paris(2025, 7, 4, 10, 0)


def test_dst_spring_forward_counts_real_time():
    # Night of 28→29 March 2026 loses an hour: 6 real hours from 22:00 CET end at 05:00 CEST.
    assert due(paris(2026, 3, 28, 22, 0), 360, ALWAYS) == paris(2026, 3, 29, 5, 0)
    # Office hours across the change: Fri 17:00 CET + 2h → Mon 10:00 CEST (08:00 UTC).
    result = due(paris(2026, 3, 27, 17, 0), 120)
    assert result == paris(2026, 3, 30, 10, 0)
    assert result.astimezone(timezone.utc).hour == 8


def test_dst_fall_back_counts_real_time():
    # Night of 24→25 October 2026 gains an hour: 6 real hours from 22:00 CEST end at 03:00 CET.
    assert due(paris(2026, 10, 24, 22, 0), 360, ALWAYS) == paris(2026, 10, 25, 3, 0)
    # A 00:00-06:00 night shift lasts 7 real hours that night: 6h30 still fits in it.
    night = {"sun": ["00:00-06:00"]}
    assert due(paris(2026, 10, 25, 0, 0), 390, night) == paris(2026, 10, 25, 5, 30)
    # and a week later the same shift is 6 hours again: 6h30 spills into the next Sunday
    # (no holiday calendar here: 1 November is a French holiday).
    assert due(paris(2026, 11, 1, 0, 0), 390, night, country=None) == paris(2026, 11, 8, 0, 30)


def test_no_business_hours_means_always_open():
    start = paris(2026, 11, 28, 23, 0)
    assert due(start, 90, {}) == start + timedelta(minutes=90)


def test_result_is_utc_and_naive_start_is_refused():
    result = add_business_minutes(paris(2026, 11, 23, 10, 0), 60, OFFICE, "Europe/Paris", "FR")
    assert result.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(datetime(2026, 11, 23, 10, 0), 60, OFFICE, "Europe/Paris", "FR")


def test_other_time_zone():
    # 09:00-17:00 in New York: a ticket at 16:00 New York time with 2h is due 10:00 next day there.
    ny = ZoneInfo("America/New_York")
    result = add_business_minutes(datetime(2026, 11, 23, 16, 0, tzinfo=ny), 120,
                                  {"mon-fri": "09:00-17:00"}, "America/New_York", "US")
    assert result.astimezone(ny) == datetime(2026, 11, 24, 10, 0, tzinfo=ny)


def test_due_at_uses_queue_clock_and_tenant_config():
    config = {"business_hours": OFFICE, "timezone": "Europe/Paris", "holidays": "FR"}
    start = paris(2026, 11, 27, 17, 0)
    assert due_at(start, {"sla": "4h"}, config).astimezone(PARIS) == paris(2026, 11, 30, 12, 0)
    assert due_at(start, {"sla": "4h", "sla_clock": "calendar"}, config) == start + timedelta(hours=4)
