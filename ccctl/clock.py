"""One clock: a time shown to a person is in the tenant's zone, with the zone named.

JSON keeps ISO 8601 with its offset for scripts; tables, screen pops and history texts use
:func:`shown`. ``ccctl --utc`` (or ``CCCTL_UTC=1``) shows every table in UTC instead.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, tzinfo

_force_utc = False


def force_utc(on: bool) -> None:
    """``--utc``: tables show UTC whatever zone a command asks for (set once per command run)."""
    global _force_utc
    _force_utc = on


@functools.lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def shown(moment: datetime, tz: str | tzinfo | None = None) -> str:
    """``2026-12-07 13:00 CET``: ``moment`` in ``tz`` (an IANA name or a tzinfo), else UTC; the zone
    always named. A naive datetime is taken as UTC (ccctl stores UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    target = UTC if _force_utc or tz is None else (zone(tz) if isinstance(tz, str) else tz)
    local = moment.astimezone(target)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('%z')}"
