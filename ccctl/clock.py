"""One clock: a time shown to a person is in the tenant's zone, with the zone named.

JSON keeps ISO 8601 with its offset for scripts; tables, screen pops and history texts use
:func:`shown`. ``ccctl --utc`` (or ``CCCTL_UTC=1``) shows every table in UTC instead.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, tzinfo

_force_utc = False
_command_zone: str | None = None  # the zone of the tenant the running command acts for


def force_utc(on: bool) -> None:
    """``--utc``: tables show UTC whatever zone a command asks for; also starts a command afresh."""
    global _force_utc, _command_zone
    _force_utc, _command_zone = on, None


def use_zone(name: str | None) -> None:
    """Times shown without an explicit zone use ``name`` (set when a command resolves its tenant)."""
    global _command_zone
    _command_zone = name


@functools.lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def shown(moment: datetime, tz: str | tzinfo | None = None) -> str:
    """``2026-12-07 13:00 CET``: ``moment`` in ``tz`` (an IANA name or a tzinfo), else in the zone of
    the command's tenant, else UTC; the zone always named. A naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    tz = tz or _command_zone
    target = UTC if _force_utc or tz is None else (zone(tz) if isinstance(tz, str) else tz)
    local = moment.astimezone(target)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('%z')}"
