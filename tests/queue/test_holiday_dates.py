"""Holiday dates kept between runs: the same dates as the holidays package, without importing it twice."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from datetime import date

import holidays
import pytest

from ccctl.queue import holiday_dates as module
from ccctl.queue.holiday_dates import holiday_dates


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CCCTL_CACHE_DIR", str(tmp_path))
    holiday_dates.cache_clear()
    yield tmp_path
    holiday_dates.cache_clear()


@pytest.mark.parametrize("country", ["FR", "DE", "US", "GB"])
def test_the_same_dates_as_the_holidays_package(country):
    for year in (2026, 2027):
        assert holiday_dates(country, year) == frozenset(holidays.country_holidays(country, years=year))
    assert date(2026, 12, 25) in holiday_dates(country, 2026)


def test_a_later_run_reads_the_file_and_never_imports_holidays(cache_dir):
    holiday_dates("FR", 2026)
    assert (cache_dir / "holidays-FR.marshal").exists()
    script = ("import sys; from datetime import date; from ccctl.queue.holiday_dates import holiday_dates; "
              "days = holiday_dates('FR', 2026); "
              "print(date(2026, 7, 14) in days, date(2026, 7, 15) in days, 'holidays' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "CCCTL_CACHE_DIR": str(cache_dir)}).stdout.split()
    assert out == ["True", "False", "False"]


def test_a_new_year_is_added_to_the_file(cache_dir):
    holiday_dates("FR", 2026)
    holiday_dates("FR", 2031)
    with open(cache_dir / "holidays-FR.marshal", "rb") as f:
        assert sorted(marshal.load(f)["years"]) == [2026, 2031]


def test_another_package_version_damaged_or_wrong_files_are_recomputed(cache_dir, monkeypatch):
    right = frozenset(holidays.country_holidays("FR", years=2026))
    path = cache_dir / "holidays-FR.marshal"
    holiday_dates("FR", 2026)
    stored = marshal.loads(path.read_bytes())
    # As if written by another release of holidays: Christmas missing, another key.
    stored["years"][2026] = [n for n in stored["years"][2026] if n != date(2026, 12, 25).toordinal()]
    stored["key"] = ["/elsewhere/holidays/__init__.py", 1]
    path.write_bytes(marshal.dumps(stored))
    holiday_dates.cache_clear()
    assert holiday_dates("FR", 2026) == right
    for damaged in (b"not marshal at all", marshal.dumps([1, 2, 3]), marshal.dumps({"version": 1, "years": 7})):
        path.write_bytes(damaged)
        holiday_dates.cache_clear()
        assert holiday_dates("FR", 2026) == right


def test_an_unwritable_cache_folder_costs_only_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CCCTL_CACHE_DIR", str(blocker / "cache"))  # cannot be created: its parent is a file
    assert holiday_dates("FR", 2026) == frozenset(holidays.country_holidays("FR", years=2026))


def test_the_key_follows_the_installed_package():
    origin, mtime = module._package_key()
    assert origin == holidays.__file__ and mtime == os.stat(holidays.__file__).st_mtime_ns
