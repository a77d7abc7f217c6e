"""Agents needed per interval of a day, from arrival history and handling times (Erlang C, or Erlang A).

Forecast: the arrivals of an interval are the mean of the same interval on the same
weekday over the previous ``weeks`` weeks. Handling time: the mean of ``closed_at −
claimed_at`` over the items closed in that history (claims left open longer than
``MAX_HANDLE`` are forgotten claims, not work, and are left out), else ``--aht``.
Erlang A (``--model erlang-a``) also needs the callers' mean patience: ``--patience``, else
measured from the history's items closed ``abandoned`` (see :func:`measured_patience`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import Agent, AgentTenant, Tenant, WorkItem
from ccctl.errors import InputError
from ccctl.reports.erlang import agents_needed, average_speed_of_answer, service_level
from ccctl.reports.erlang_a import agents_needed_a, erlang_a

MAX_HANDLE = timedelta(hours=8)


@dataclass(frozen=True)
class Target:
    share: float  # 0.8
    seconds: int  # 20

    @classmethod
    def parse(cls, text: str) -> Target:
        """``80/20``: 80 % of contacts answered within 20 seconds."""
        try:
            share_text, seconds_text = text.split("/")
            share, seconds = float(share_text), int(seconds_text)
        except ValueError:
            raise InputError(f"--target: '{text}' is not like 80/20 (percent/seconds)") from None
        if not 0 < share < 100 or seconds < 0:
            raise InputError(f"--target: '{text}': the percent must be between 0 and 100, seconds >= 0")
        return cls(share / 100, seconds)


def handling_time(session: Session, tenant: Tenant, start: datetime, end: datetime,
                  channel: str | None = None, queue: str | None = None) -> float | None:
    """Mean handling seconds of the items closed in ``[start, end)``; None without data."""
    query = select(WorkItem.claimed_at, WorkItem.closed_at).where(
        WorkItem.tenant_id == tenant.id, WorkItem.closed_at >= start, WorkItem.closed_at < end,
        WorkItem.claimed_at.is_not(None))
    query = _filtered(query, channel, queue)
    spans = [(closed - claimed).total_seconds() for claimed, closed in session.execute(query)]
    spans = [s for s in spans if 0 < s <= MAX_HANDLE.total_seconds()]
    return sum(spans) / len(spans) if spans else None


def measured_patience(session: Session, tenant: Tenant, start: datetime, end: datetime,
                      channel: str | None = None, queue: str | None = None) -> float | None:
    """Mean patience in seconds, the exponential model's estimate from the items of ``[start, end)``:
    abandons ÷ the total time everyone waited (answered: creation to claim; abandoned: to close).
    None when nothing was abandoned (patience looks infinite: Erlang C applies)."""
    query = _filtered(select(WorkItem.created_at, WorkItem.claimed_at, WorkItem.closed_at, WorkItem.outcome).where(
        WorkItem.tenant_id == tenant.id, WorkItem.created_at >= start, WorkItem.created_at < end,
        WorkItem.closed_at.is_not(None)), channel, queue)
    abandons, waited = 0, 0.0
    for created, claimed, closed, outcome in session.execute(query):
        if outcome == "abandoned":
            abandons += 1
            waited += (closed - created).total_seconds()
        elif claimed is not None:
            waited += max(0.0, (claimed - created).total_seconds())
    return waited / abandons if abandons and waited > 0 else None


def staffing_rows(session: Session, tenant: Tenant, day: date, target: Target, interval_minutes: int = 30,
                  weeks: int = 4, aht_seconds: float | None = None, default_aht: float = 300,
                  channel: str | None = None, queue: str | None = None, model: str = "erlang-c",
                  patience_seconds: float | None = None) -> tuple[list[dict[str, Any]], dict]:
    """One row per interval of ``day`` (business hours, plus any interval that had arrivals)."""
    if not 1 <= weeks <= 52:
        raise InputError("--weeks must be between 1 and 52")
    if 1440 % interval_minutes:
        raise InputError("--interval must divide a day (15, 30, 60...)")
    zone = ZoneInfo(tenant.timezone)
    history_start = _local(day - timedelta(weeks=weeks), time(0), zone)
    history_end = _local(day, time(0), zone)
    counts = _arrivals_by_interval(session, tenant, day, weeks, interval_minutes, zone, channel, queue)
    measured = handling_time(session, tenant, history_start, history_end, channel, queue)
    aht = aht_seconds or measured or default_aht
    source = "--aht" if aht_seconds else ("history" if measured else "default")
    patience = patience_seconds or (measured_patience(session, tenant, history_start, history_end, channel, queue)
                                    if model == "erlang-a" else None)
    on_shift = agents_on_shift(session, tenant, queue)
    open_slots = _business_slots(tenant, day, interval_minutes)
    interval_s = interval_minutes * 60
    rows = []
    for slot in range(1440 // interval_minutes):
        arrivals = counts.get(slot, 0) / weeks
        if slot not in open_slots and not arrivals:
            continue
        traffic = arrivals * aht / interval_s
        start = datetime.combine(day, time(0)) + timedelta(minutes=slot * interval_minutes)
        end = start + timedelta(minutes=interval_minutes)
        if patience:
            needed = agents_needed_a(arrivals, interval_s, aht, patience, target.share, target.seconds)
            figures = erlang_a(max(1, needed), arrivals / interval_s, aht, patience, target.seconds)
            level, asa, abandon = figures.service_level, figures.mean_wait_s, 100 * figures.abandon_probability
        else:
            needed = agents_needed(arrivals, interval_s, aht, target.share, target.seconds)
            level, abandon = service_level(needed, traffic, aht, target.seconds), None
            asa = average_speed_of_answer(needed, traffic, aht) if needed else 0.0
        rows.append({
            "interval": f"{start:%H:%M}-{'24:00' if end.day != start.day else f'{end:%H:%M}'}",
            "arrivals": round(arrivals, 2),
            "erlangs": round(traffic, 2),
            "agents_needed": needed,
            "service_level_pct": round(100 * level, 1),
            "asa_s": round(asa, 1),
            "abandon_pct": None if abandon is None else round(abandon, 1),
            "on_shift": on_shift,
            "gap": on_shift - needed,
        })
    summary = {"date": day.isoformat(), "model": "erlang-a" if patience else "erlang-c",
               "patience_s": round(patience, 1) if patience else None, "aht_s": round(aht, 1), "aht_source": source,
               "weeks": weeks,
               "target": f"{round(target.share * 100)}/{target.seconds}", "interval_min": interval_minutes}
    return rows, summary


def agents_on_shift(session: Session, tenant: Tenant, queue: str | None = None) -> int:
    """Agents serving this tenant, marked available, and with the queue's skills when one is named.

    The queue stores no shift calendar yet: availability is what an agent says now.
    """
    required = set()
    if queue:
        spec = next((q for q in tenant.config.get("queues") or [] if q.get("name") == queue), None)
        if spec is None:
            raise InputError(f"--queue: tenant {tenant.slug} has no queue '{queue}'")
        required = set(spec.get("skills") or [])
    skills = session.scalars(select(Agent.skills).join(AgentTenant, AgentTenant.agent_id == Agent.id).where(
        AgentTenant.tenant_id == tenant.id, Agent.available.is_(True))).all()
    return sum(1 for held in skills if required <= set(held or []))


def _arrivals_by_interval(session, tenant, day, weeks, interval_minutes, zone, channel, queue) -> dict[int, int]:
    counts: dict[int, int] = {}
    for back in range(1, weeks + 1):
        past = day - timedelta(weeks=back)
        query = select(WorkItem.created_at).where(
            WorkItem.tenant_id == tenant.id, WorkItem.created_at >= _local(past, time(0), zone),
            WorkItem.created_at < _local(past + timedelta(days=1), time(0), zone))
        for (created,) in session.execute(_filtered(query, channel, queue)):
            local = created.astimezone(zone)
            slot = (local.hour * 60 + local.minute) // interval_minutes
            counts[slot] = counts.get(slot, 0) + 1
    return counts


def _business_slots(tenant: Tenant, day: date, interval_minutes: int) -> set[int]:
    hours = tenant.config.get("business_hours") or {}
    ranges = hours.get(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]) or []
    slots = set()
    for spec in ranges:
        first, last = spec.split("-")
        start = int(first[:2]) * 60 + int(first[3:])
        end = int(last[:2]) * 60 + int(last[3:])
        slots |= set(range(start // interval_minutes, -(-end // interval_minutes)))
    return slots


def _filtered(query, channel: str | None, queue: str | None):
    if channel:
        query = query.where(WorkItem.channel == channel)
    if queue:
        query = query.where(WorkItem.queue == queue)
    return query


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc)
