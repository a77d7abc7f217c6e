"""Bookable slots: the tenant's hours cut into equal slots, minus public holidays, each with seats.

Times are stored in UTC and shown in the tenant's time zone.  A seat is taken with one
conditional UPDATE (``booked < capacity``) on a per-slot counter row, so concurrent
requests cannot overbook on SQLite or PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ccctl.config.model import DAYS
from ccctl.db.models import Tenant
from ccctl.db.upsert import insert_or_skip
from ccctl.errors import CcctlError, InputError
from ccctl.i18n import N_
from ccctl_callback.config import CallbackConfig
from ccctl_callback.models import CallbackSlot


def local_zone(tenant: Tenant) -> ZoneInfo:
    return ZoneInfo(tenant.timezone)


def slot_hours(tenant: Tenant, cfg: CallbackConfig) -> dict[str, list[str]]:
    """The plugin's own `hours`, else the tenant's business hours."""
    return cfg.hours if cfg.hours is not None else dict(tenant.config.get("business_hours") or {})


def holiday_name(tenant: Tenant, day: date) -> str | None:
    """Name of the public holiday on ``day`` in the tenant's calendar, or None."""
    country = tenant.config.get("holidays")
    return _calendar(country).get(day) if country else None


@lru_cache(maxsize=64)
def _calendar(country: str):
    import holidays

    return holidays.country_holidays(country)


def _windows(hours: dict[str, list[str]], day: date, zone: ZoneInfo,
             country: str | None = None) -> list[tuple[datetime, datetime]]:
    """UTC (start, end) of the ranges of ``hours`` on local ``day``; none on a holiday of ``country``."""
    from ccctl.queue.sla import open_windows, weekly_hours

    return open_windows(day, weekly_hours(hours), zone, country)


def within(hours: dict[str, list[str]], when: datetime, zone: ZoneInfo) -> bool:
    """Whether ``when`` falls inside one of the day's ranges of ``hours``."""
    return any(a <= when < b for a, b in _windows(hours, when.astimezone(zone).date(), zone))


def day_slots(tenant: Tenant, cfg: CallbackConfig, day: date) -> list[datetime]:
    """Slot starts (UTC) on local ``day``; none on a public holiday."""
    length = timedelta(minutes=cfg.slot_minutes)
    starts = []
    for begin, finish in _windows(slot_hours(tenant, cfg), day, local_zone(tenant), tenant.config.get("holidays")):
        at = begin
        while at + length <= finish:
            starts.append(at)
            at += length
    return starts


def booked_counts(session: Session, tenant: Tenant, starts: list[datetime]) -> dict[datetime, int]:
    if not starts:
        return {}
    rows = session.execute(select(CallbackSlot.starts_at, CallbackSlot.booked).where(
        CallbackSlot.tenant_id == tenant.id, CallbackSlot.starts_at.in_(starts)))
    return {start: booked for start, booked in rows}


@dataclass
class Slot:
    start: datetime  # UTC
    minutes: int
    capacity: int
    booked: int
    status: str  # open | full | past | too-soon | too-far

    def row(self, zone: ZoneInfo) -> dict:
        local = self.start.astimezone(zone)
        return {"start": local.strftime("%Y-%m-%d %H:%M"),
                "end": (local + timedelta(minutes=self.minutes)).strftime("%H:%M"),
                "utc": self.start.isoformat(), "capacity": self.capacity, "booked": self.booked,
                "free": max(self.capacity - self.booked, 0), "status": self.status}


def slots_on(session: Session, tenant: Tenant, cfg: CallbackConfig, day: date, now: datetime) -> list[Slot]:
    starts = day_slots(tenant, cfg, day)
    counts = booked_counts(session, tenant, starts)
    return [Slot(s, cfg.slot_minutes, cfg.capacity, counts.get(s, 0), _status(cfg, s, counts.get(s, 0), now))
            for s in starts]


def open_slots(session: Session, tenant: Tenant, cfg: CallbackConfig, now: datetime,
               days: int | None = None, limit: int | None = None) -> list[Slot]:
    """Open slots from today (tenant's time) for ``days`` days (default: the booking horizon)."""
    today = now.astimezone(local_zone(tenant)).date()
    found: list[Slot] = []
    for offset in range((cfg.horizon_days if days is None else days) + 1):
        found += [s for s in slots_on(session, tenant, cfg, today + timedelta(days=offset), now)
                  if s.status == "open"]
        if limit and len(found) >= limit:
            return found[:limit]
    return found


def _status(cfg: CallbackConfig, start: datetime, booked: int, now: datetime) -> str:
    if start <= now:
        return "past"
    if start < now + timedelta(minutes=cfg.min_lead_minutes):
        return "too-soon"
    if start > now + timedelta(days=cfg.horizon_days + 1):
        return "too-far"
    return "full" if booked >= cfg.capacity else "open"


def parse_slot(text: str, tenant: Tenant) -> datetime:
    """``2026-11-24 10:30`` (tenant's local time) or ISO 8601 with an offset → aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(N_("slot '%(text)s' is not a date and time like 2026-11-24 10:30", text=text)) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone(tenant))
    return value.astimezone(timezone.utc)


def check_slot(session: Session, tenant: Tenant, cfg: CallbackConfig, start: datetime, now: datetime) -> None:
    """Raise a clear error unless ``start`` is an open slot (full slots: exit 1, others: exit 2)."""
    zone = local_zone(tenant)
    local = start.astimezone(zone)
    shown = local.strftime("%a %Y-%m-%d %H:%M")
    holiday = holiday_name(tenant, local.date())
    if holiday:
        raise InputError(N_("slot %(slot)s is on a public holiday (%(holiday)s); the call-back service is closed",
                              slot=shown, holiday=holiday))
    if start not in day_slots(tenant, cfg, local.date()):
        hours = slot_hours(tenant, cfg).get(DAYS[local.weekday()])
        opening = ", ".join(hours) if hours else "closed all day"
        raise InputError(f"slot {shown} is not a {cfg.slot_minutes}-minute slot within opening hours "
                         f"({DAYS[local.weekday()]}: {opening}); see `ccctl callback slots --date "
                         f"{local.date()}`")
    booked = booked_counts(session, tenant, [start]).get(start, 0)
    status = _status(cfg, start, booked, now)
    if status == "past":
        raise InputError(N_("slot %(slot)s is in the past", slot=shown))
    if status == "too-soon":
        raise InputError(N_("slot %(slot)s starts in less than %(lead)s; pick a later one", slot=shown, lead=cfg.min_lead))
    if status == "too-far":
        raise InputError(N_("slot %(slot)s is more than %(days)d days ahead", slot=shown, days=cfg.horizon_days))
    if status == "full":
        raise full_error(session, tenant, cfg, start, now)


def full_error(session, tenant, cfg, start: datetime, now: datetime) -> CcctlError:
    zone = local_zone(tenant)
    nearby = [s.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
              for s in open_slots(session, tenant, cfg, now, limit=3)]
    slot = f"{start.astimezone(zone):%a %Y-%m-%d %H:%M}"
    if nearby:
        return CcctlError(N_("slot %(slot)s is full (%(capacity)d call-backs); next open: %(next)s",
                             slot=slot, capacity=cfg.capacity, next=", ".join(nearby)))
    return CcctlError(N_("slot %(slot)s is full (%(capacity)d call-backs)", slot=slot, capacity=cfg.capacity))


def take_seat(session: Session, tenant: Tenant, start: datetime, capacity: int) -> bool:
    """Book one seat in the slot starting at ``start``; False when it is full."""
    # The counter row, unless it exists already (maybe made a moment ago by another request).
    insert_or_skip(session, CallbackSlot, dict(tenant_id=tenant.id, starts_at=start, booked=0),
                   conflict=("tenant_id", "starts_at"), returning=CallbackSlot.id)
    taken = session.execute(
        update(CallbackSlot)
        .where(CallbackSlot.tenant_id == tenant.id, CallbackSlot.starts_at == start,
               CallbackSlot.booked < capacity)
        .values(booked=CallbackSlot.booked + 1)
        .execution_options(synchronize_session=False))
    return taken.rowcount == 1


def release_seat(session: Session, tenant: Tenant, start: datetime) -> None:
    session.execute(
        update(CallbackSlot)
        .where(CallbackSlot.tenant_id == tenant.id, CallbackSlot.starts_at == start, CallbackSlot.booked > 0)
        .values(booked=CallbackSlot.booked - 1)
        .execution_options(synchronize_session=False))


def next_open_time(tenant: Tenant, cfg: CallbackConfig, after: datetime, max_days: int = 60) -> datetime:
    """``after`` if it falls in opening hours on a working day, else the next opening (UTC)."""
    zone = local_zone(tenant)
    first = after.astimezone(zone).date()
    for offset in range(max_days):
        for begin, finish in _windows(slot_hours(tenant, cfg), first + timedelta(days=offset), zone,
                                      tenant.config.get("holidays")):
            if finish > after:
                return max(begin, after).astimezone(timezone.utc)
    raise CcctlError(f"no opening hours in the {max_days} days after {first}; check plugins.callback.hours")
