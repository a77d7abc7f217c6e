"""Public-holiday dates per country and year, kept between runs.

Building one calendar with the ``holidays`` package imports the module of every country it
knows (~0.1 s, plus ~0.04 s for the package itself): more than an email ingest spends
routing 7,000 items, and paid again by every command that gives an item its SLA due time.
The dates of each (country, year) asked for are kept in a cache file, keyed by where the
installed package lives and when it was written, so an upgrade of ``holidays`` recomputes
them.
"""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache

from ccctl import cache

CACHE_VERSION = 1


@lru_cache(maxsize=256)
def holiday_dates(country: str, year: int) -> frozenset[date]:
    """The public holidays of ``country`` (ISO code, e.g. "FR") in ``year``."""
    path = cache.cache_path(f"holidays-{country}.marshal")
    key = _package_key()
    data = cache.read(path, CACHE_VERSION)
    if data is None or data.get("key") != key or not isinstance(data.get("years"), dict):
        data = {"version": CACHE_VERSION, "key": key, "years": {}}
    ordinals = data["years"].get(year)
    if not isinstance(ordinals, list):
        ordinals = data["years"][year] = _computed(country, year)
        cache.write(path, data)
    return frozenset(date.fromordinal(n) for n in ordinals)


def _computed(country: str, year: int) -> list[int]:
    import holidays

    return sorted(day.toordinal() for day in holidays.country_holidays(country, years=year))


def _package_key() -> list:
    from importlib.util import find_spec

    spec = find_spec("holidays")
    origin = (spec.origin if spec else None) or ""
    try:
        return [origin, os.stat(origin).st_mtime_ns]
    except OSError:
        return [origin, None]
