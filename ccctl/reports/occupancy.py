"""Occupancy and adherence per agent, from the agents' state history (``report staffing --agents``).

An agent's state (available, on-call, wrap-up, paused with a reason) is kept as a history of
changes (``agent_state_changes``); a state lasts until the next change. Over a period:

* **logged in** = time available, on a call or in wrap-up (ccctl has no logged-out state: an
  agent off shift is ``paused``, e.g. with the reason ``off``);
* **busy** = on a call + wrap-up + time *available while holding a claimed item* (claim to
  close of the items the agent closed, claim to now of those still held; claims held over
  ``MAX_HANDLE`` are forgotten claims, as for the handling time);
* **occupancy** = busy ÷ logged in;
* **scheduled** = the tenant's business hours in the period (public holidays excluded):
  ccctl keeps no shift plan, so every agent serving the tenant counts as scheduled then;
* **adherence** = time logged in during the scheduled time ÷ the scheduled time.

Time before an agent's first recorded state is *untracked*: neither logged in nor scheduled.
The pure part (:func:`agent_time`) takes plain lists so it can be checked by hand and by
property tests; :func:`agent_rows` reads the database.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import Agent, AgentStateChange, AgentTenant, Tenant, WorkItem
from ccctl.reports.period import Period
from ccctl.reports.staffing import MAX_HANDLE

WORKING = ("available", "on-call", "wrap-up")  # logged in and not paused
HANDLING = ("on-call", "wrap-up")
STATES = (*WORKING, "paused")
COLUMNS = ["agent", "logged_in_h", "available_h", "on_call_h", "wrap_up_h", "items_h", "busy_h", "paused_h",
           "untracked_h", "occupancy_pct", "scheduled_h", "adherent_h", "adherence_pct"]
TABLE_COLUMNS = ["agent", "logged_in_h", "on_call_h", "wrap_up_h", "items_h", "paused_h", "occupancy_pct",
                 "scheduled_h", "adherence_pct"]
TOTAL = "(total)"

Span = tuple[datetime, datetime]


class Spans:
    """Disjoint, sorted time spans (overlaps merged) answering "how much of [a, b) do they cover" in O(log n)."""

    def __init__(self, spans: Iterable[Span]):
        merged: list[list[datetime]] = []
        for begin, end in sorted(s for s in spans if s[1] > s[0]):
            if merged and begin <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([begin, end])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]
        self.before = [0.0]  # seconds covered by the spans before index i
        for begin, end in merged:
            self.before.append(self.before[-1] + (end - begin).total_seconds())

    def covered(self, begin: datetime, end: datetime) -> float:
        """Seconds of ``[begin, end)`` inside the spans."""
        if end <= begin or not self.starts:
            return 0.0
        first = bisect_right(self.ends, begin)  # first span ending after begin
        last = bisect_left(self.starts, end)  # spans [first, last) start before end
        if first >= last:
            return 0.0
        total = self.before[last] - self.before[first]
        total -= max(0.0, (begin - self.starts[first]).total_seconds())
        total -= max(0.0, (self.ends[last - 1] - end).total_seconds())
        return total


@dataclass
class AgentTime:
    """Seconds one agent spent in each state over a period, and what the figures are made of."""

    states: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    untracked: float = 0.0
    items: float = 0.0  # available while holding a claimed item
    scheduled: float = 0.0
    adherent: float = 0.0  # logged in during scheduled time

    @property
    def logged_in(self) -> float:
        return sum(self.states[s] for s in WORKING)

    @property
    def busy(self) -> float:
        return sum(self.states[s] for s in HANDLING) + self.items

    @property
    def occupancy(self) -> float | None:
        return self.busy / self.logged_in if self.logged_in else None

    @property
    def adherence(self) -> float | None:
        return self.adherent / self.scheduled if self.scheduled else None

    def add(self, other: AgentTime) -> None:
        for state in STATES:
            self.states[state] += other.states[state]
        self.untracked += other.untracked
        self.items += other.items
        self.scheduled += other.scheduled
        self.adherent += other.adherent


def agent_time(changes: Sequence[tuple[datetime, str]], holds: Iterable[Span], schedule: Iterable[Span],
               start: datetime, end: datetime) -> AgentTime:
    """Time in each state over ``[start, end)``.

    ``changes``: ``(at, state)`` in the order they happened, including the last one before
    ``start`` (the state the period opens in); ``holds``: spans the agent held a claimed
    item; ``schedule``: the spans the agent was expected to work.
    """
    result = AgentTime()
    held, planned = Spans(holds), Spans(schedule)
    tracked_from = max(start, changes[0][0]) if changes else end
    result.untracked = max(0.0, (min(tracked_from, end) - start).total_seconds())
    result.scheduled = planned.covered(min(tracked_from, end), end)
    for index, (at, state) in enumerate(changes):
        begin = max(at, start)
        finish = min(changes[index + 1][0], end) if index + 1 < len(changes) else end
        if finish <= begin:
            continue
        result.states[state if state in STATES else "paused"] += (finish - begin).total_seconds()
        if state == "available":
            result.items += held.covered(begin, finish)
        if state in WORKING:
            result.adherent += planned.covered(begin, finish)
    return result


def schedule_spans(tenant: Tenant, period: Period) -> list[Span]:
    """The tenant's opening hours within ``period`` as UTC spans (no business hours: always open)."""
    from ccctl.queue.sla import open_windows, weekly_hours

    hours = weekly_hours(tenant.config.get("business_hours"))
    if not hours:
        return [(period.start, period.end)]
    zone = ZoneInfo(tenant.timezone)
    day: date = period.start.astimezone(zone).date() - timedelta(days=1)
    last = period.end.astimezone(zone).date()
    spans = []
    while day <= last:
        for begin, finish in open_windows(day, hours, zone, tenant.config.get("holidays")):
            if finish > period.start and begin < period.end:
                spans.append((max(begin, period.start), min(finish, period.end)))
        day += timedelta(days=1)
    return spans


def agent_rows(session: Session, tenant: Tenant, period: Period, now: datetime) -> list[dict[str, Any]]:
    """One row per agent serving ``tenant``, then a total row; ``period`` ends at ``now`` at the latest."""
    end = min(period.end, now)
    clipped = Period(period.start, max(end, period.start), period.zone)
    schedule = schedule_spans(tenant, clipped)
    agents = list(session.scalars(select(Agent).join(AgentTenant, AgentTenant.agent_id == Agent.id)
                                  .where(AgentTenant.tenant_id == tenant.id).order_by(Agent.name)))
    holds = _holds(session, [a.name for a in agents], clipped.start, clipped.end, now)
    rows, total = [], AgentTime()
    for agent in agents:
        figures = agent_time(_changes(session, agent, clipped.start, clipped.end), holds.get(agent.name, []),
                             schedule, clipped.start, clipped.end)
        total.add(figures)
        rows.append(_row(agent.name, figures))
    rows.append(_row(TOTAL, total))
    return rows


def _changes(session: Session, agent: Agent, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """The agent's changes in ``[start, end)`` after the last one before ``start``. An agent with no
    history at all has been in its current state since it was added (every change is recorded)."""
    order = (AgentStateChange.at, AgentStateChange.id)
    opening = session.execute(select(AgentStateChange.at, AgentStateChange.state).where(
        AgentStateChange.agent_id == agent.id, AgentStateChange.at <= start)
        .order_by(*(c.desc() for c in order)).limit(1)).all()
    during = session.execute(select(AgentStateChange.at, AgentStateChange.state).where(
        AgentStateChange.agent_id == agent.id, AgentStateChange.at > start, AgentStateChange.at < end)
        .order_by(*order)).all()
    changes = [tuple(c) for c in [*opening, *during]]
    if not changes and session.scalar(select(AgentStateChange.id).where(
            AgentStateChange.agent_id == agent.id).limit(1)) is None:
        changes = [(agent.created_at, agent.state)]
    return changes


def _holds(session: Session, names: list[str], start: datetime, end: datetime,
           now: datetime) -> dict[str, list[Span]]:
    """Per agent, the spans they held a claimed item (of any client: an agent's state is not per
    client): claim to close, or claim to now while still held."""
    spans: dict[str, list[Span]] = {}
    if not names:
        return spans
    query = select(WorkItem.claimed_by, WorkItem.claimed_at, WorkItem.closed_at, WorkItem.state).where(
        WorkItem.claimed_by.in_(names), WorkItem.claimed_at.is_not(None), WorkItem.claimed_at < end,
        (WorkItem.closed_at >= start) | (WorkItem.state == "claimed"))
    for name, claimed, closed, state in session.execute(query):
        finish = now if state == "claimed" else closed
        if finish is not None and timedelta(0) < finish - claimed <= MAX_HANDLE:
            spans.setdefault(name, []).append((claimed, finish))
    return spans


def _row(name: str, figures: AgentTime) -> dict[str, Any]:
    def hours(seconds: float) -> float:
        return round(seconds / 3600, 2)

    def pct(share: float | None) -> float | None:
        return None if share is None else round(100 * share, 1)

    return {"agent": name, "logged_in_h": hours(figures.logged_in), "available_h": hours(figures.states["available"]),
            "on_call_h": hours(figures.states["on-call"]), "wrap_up_h": hours(figures.states["wrap-up"]),
            "items_h": hours(figures.items), "busy_h": hours(figures.busy), "paused_h": hours(figures.states["paused"]),
            "untracked_h": hours(figures.untracked), "occupancy_pct": pct(figures.occupancy),
            "scheduled_h": hours(figures.scheduled), "adherent_h": hours(figures.adherent),
            "adherence_pct": pct(figures.adherence)}
