"""ccctl report staffing --agents: occupancy and adherence from the agents' state history.

The figures of ``test_figures_computed_by_hand`` are worked out in the comments; the property
tests compare the interval arithmetic with a minute-by-minute count, in memory and through the
database (SQLite, and PostgreSQL with CCCTL_TEST_DATABASE_URL).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from reports.report_helpers import add_item, paris

from ccctl.db.models import Agent, AgentStateChange, AgentTenant, WorkItem
from ccctl.reports.occupancy import STATES, WORKING, Spans, agent_rows, agent_time
from ccctl.reports.period import Period, day_period

MONDAY = ("--agents", "-t", "voyages-lumiere", "--from", "2026-11-30", "--to", "2026-11-30")


def _state(session, agent, at, state, reason=""):
    session.add(AgentStateChange(agent_id=agent.id, state=state, reason=reason, source="test", at=at))


def _agent(session, tenant, name, created):
    agent = Agent(name=name, skills=[], capacity=1, created_at=created)
    session.add(agent)
    session.flush()
    session.add(AgentTenant(agent_id=agent.id, tenant_id=tenant.id))
    return agent


@pytest.fixture
def day(example_tenants, app):
    """Monday 2026-11-30 (Paris; open 09:00-13:00 and 14:00-19:00) of three agents, and one of another tenant."""
    def at(hour, minute=0):
        return paris(2026, 11, 30, hour, minute)

    with app.session() as s:
        t, other = app.tenant(s, "voyages-lumiere"), app.tenant(s, "assurance-horizon")
        ana = _agent(s, t, "ana", paris(2026, 11, 1))
        _state(s, ana, paris(2026, 11, 10, 20), "paused", "off")  # the state the day opens in
        for moment, state, reason in [(at(8, 30), "available", ""), (at(9), "on-call", ""),
                                      (at(9, 30), "wrap-up", ""), (at(9, 40), "available", ""),
                                      (at(12), "paused", "lunch"), (at(14, 15), "available", ""),
                                      (at(17), "on-call", ""), (at(17, 45), "available", ""),
                                      (at(19), "paused", "off")]:
            _state(s, ana, moment, state, reason)
        add_item(s, t, created=at(9, 55), claimed=at(10), closed=at(10, 30))  # 30 min while available
        add_item(s, t, created=at(11), claimed=at(11, 50), closed=at(12, 10))  # 10 min before lunch counts
        add_item(s, t, created=at(1), claimed=at(1), closed=at(11))  # a forgotten 10 h claim: not work
        for item in s.scalars(select(WorkItem)):
            item.claimed_by = "ana"
        bob = _agent(s, t, "bob", paris(2026, 11, 1))
        _state(s, bob, paris(2026, 11, 29, 10), "available")  # available all day, never busy
        cid = _agent(s, t, "cid", paris(2026, 11, 30, 12))
        _state(s, cid, at(12), "available")  # history starts at noon: the morning is untracked
        dan = _agent(s, other, "dan", paris(2026, 11, 1))
        _state(s, dan, paris(2026, 11, 29), "on-call")
        s.commit()
    return example_tenants


def test_figures_computed_by_hand(day):
    report = day.json("report", "staffing", *MONDAY, "--format", "json")
    rows = {r["agent"]: r for r in report["rows"]}
    assert list(rows) == ["ana", "bob", "cid", "(total)"]  # dan serves another tenant
    # ana, paused 00:00-08:30, 12:00-14:15, 19:00-24:00 = 15.75 h; available 0.5 + 2h20 + 2.75 + 1.25
    # = 6.83 h; on a call 0.5 + 0.75 = 1.25 h; wrap-up 10 min. Logged in 24 - 15.75 = 8.25 h.
    # Busy: 1.25 h + 10 min + items 40 min = 125 min -> 125 / 495 = 25.3 %. Open 9 h, logged in
    # 09:00-12:00 and 14:15-19:00 of it = 7.75 h -> 86.1 %.
    assert rows["ana"] == {
        "agent": "ana", "logged_in_h": 8.25, "available_h": 6.83, "on_call_h": 1.25, "wrap_up_h": 0.17,
        "items_h": 0.67, "busy_h": 2.08, "paused_h": 15.75, "untracked_h": 0.0, "occupancy_pct": 25.3,
        "scheduled_h": 9.0, "adherent_h": 7.75, "adherence_pct": 86.1}
    assert rows["bob"] == {
        "agent": "bob", "logged_in_h": 24.0, "available_h": 24.0, "on_call_h": 0.0, "wrap_up_h": 0.0,
        "items_h": 0.0, "busy_h": 0.0, "paused_h": 0.0, "untracked_h": 0.0, "occupancy_pct": 0.0,
        "scheduled_h": 9.0, "adherent_h": 9.0, "adherence_pct": 100.0}
    # cid: tracked from noon, scheduled 12-13 and 14-19 = 6 h, all of it available.
    assert {k: rows["cid"][k] for k in ("logged_in_h", "untracked_h", "scheduled_h", "adherence_pct")} == {
        "logged_in_h": 12.0, "untracked_h": 12.0, "scheduled_h": 6.0, "adherence_pct": 100.0}
    # Total: busy 125 min of 44.25 h logged in = 4.7 %; adherent 7.75 + 9 + 6 of 24 h scheduled = 94.8 %.
    assert {k: rows["(total)"][k] for k in ("logged_in_h", "busy_h", "occupancy_pct", "scheduled_h",
                                            "adherence_pct")} == {
        "logged_in_h": 44.25, "busy_h": 2.08, "occupancy_pct": 4.7, "scheduled_h": 24.0, "adherence_pct": 94.8}
    parameters = report["parameters"]
    assert parameters["tenant"] == "voyages-lumiere" and parameters["schedule"] == "business_hours"
    assert (parameters["from"], parameters["to"]) == ("2026-11-29T23:00:00+00:00", "2026-11-30T23:00:00+00:00")
    assert parameters["timezone"] == "Europe/Paris" and "occupancy" in parameters and "adherence" in parameters


def test_a_public_holiday_is_not_scheduled(day):
    # Wednesday 11 November 2026 is a public holiday in France: nothing is scheduled.
    rows = day.json("report", "staffing", "--agents", "-t", "voyages-lumiere", "--from", "2026-11-11", "--to",
                    "2026-11-11")["rows"]
    ana = next(r for r in rows if r["agent"] == "ana")
    assert (ana["scheduled_h"], ana["adherence_pct"], ana["untracked_h"], ana["paused_h"]) == (0.0, None, 0.0, 24.0)


def test_table_fits_120_columns_and_wide_shows_all(day):
    result = day("report", "staffing", *MONDAY, "--format", "table")
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 120 and "occupancy_pct" in lines[0] and "adherent_h" not in lines[0]
    assert "more columns: --wide" in result.stderr and "period: 2026-11-30..2026-11-30 (Europe/Paris)" in result.stderr
    assert "adherent_h" in day("report", "staffing", *MONDAY, "--format", "table", "--wide").stdout
    csv = day("report", "staffing", *MONDAY, "--format", "csv").stdout.splitlines()
    assert csv[0].split(",")[-1] == "adherence_pct" and csv[1].startswith("ana,8.25,")


def test_the_period_stops_now(day):
    report = day.json("report", "staffing", "--agents", "-t", "voyages-lumiere", "--format", "json")
    to = datetime.fromisoformat(report["parameters"]["to"])
    assert abs((to - datetime.now(timezone.utc)).total_seconds()) < 120  # default period: last 7 days up to now
    bob = next(r for r in report["rows"] if r["agent"] == "bob")
    assert bob["logged_in_h"] <= 7 * 24 and bob["untracked_h"] == 0


@pytest.mark.parametrize("args, message", [
    (("--agents", "--date", "2026-11-30"), "--date: not with --agents"),
    (("--agents", "--queue", "reservations", "--target", "90/10"), "--target, --queue: not with --agents"),
    (("--from", "2026-11-30"), "--from, --to and --wide go with --agents"),
    (("--agents", "--from", "2099-01-01", "--to", "2099-01-02"), "--from 2099-01-01 is in the future"),
    (("--agents", "--from", "2026-12-02", "--to", "2026-12-01"), "is after --to"),
    (("--agents", "--from", "30/11/2026"), "--from: '30/11/2026' is not a date"),
])
def test_bad_input(example_tenants, args, message):
    result = example_tenants("report", "staffing", "-t", "voyages-lumiere", *args, code=2)
    assert message in result.stderr


def test_agent_add_starts_the_history(example_tenants, app):
    example_tenants("agent", "add", "eve", "--serves", "voyages-lumiere", "--unavailable")
    with app.session() as s:
        first = s.execute(select(AgentStateChange.state, AgentStateChange.reason, AgentStateChange.source)).all()
    assert first == [("paused", "paused", "agent add")]
    eve = example_tenants.json("report", "staffing", "--agents", "-t", "voyages-lumiere")["rows"][0]
    # Before it was added the agent is untracked; since then paused: never logged in.
    assert eve["agent"] == "eve" and eve["logged_in_h"] == 0.0 and eve["occupancy_pct"] is None


# --- properties -----------------------------------------------------------------------------------

T0 = datetime(2026, 11, 30, tzinfo=timezone.utc)
HOURS = 30  # minutes are counted over a window a little wider than the period
minutes = st.integers(0, HOURS * 60)
spans = st.lists(st.tuples(minutes, st.integers(1, 480)).map(lambda p: (p[0], p[0] + p[1])), max_size=8)
histories = st.lists(st.tuples(minutes, st.sampled_from(STATES)), max_size=25).map(sorted)


def _at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def _by_minute(changes, holds, schedule, start, end) -> dict[str, int]:
    """The same figures counted one minute at a time (every time is a whole minute)."""
    out = dict.fromkeys([*STATES, "untracked", "items", "scheduled", "adherent"], 0)
    for minute in range(start, end):
        past = [state for at, state in changes if at <= minute]
        if not past:
            out["untracked"] += 1
            continue
        state = past[-1]
        out[state] += 1
        planned = any(b <= minute < e for b, e in schedule)
        out["scheduled"] += planned
        out["items"] += state == "available" and any(b <= minute < e for b, e in holds)
        out["adherent"] += planned and state in WORKING
    return out


def _check(figures, expected, length):
    assert sum(figures.states.values()) + figures.untracked == pytest.approx(length * 60)
    assert figures.logged_in == pytest.approx(sum(figures.states[s] for s in WORKING))
    for state in STATES:
        assert figures.states[state] == pytest.approx(expected[state] * 60)
    for key in ("untracked", "items", "scheduled", "adherent"):
        assert getattr(figures, key) == pytest.approx(expected[key] * 60), key
    assert figures.occupancy is None or 0 <= figures.occupancy <= 1 + 1e-9
    assert figures.adherence is None or 0 <= figures.adherence <= 1 + 1e-9


@given(histories, spans, spans, st.integers(0, 6 * 60), st.integers(0, 24 * 60))
def test_state_time_adds_up_to_the_period(changes, holds, schedule, start, length):
    end = start + length
    figures = agent_time([(_at(m), s) for m, s in changes], [(_at(b), _at(e)) for b, e in holds],
                         [(_at(b), _at(e)) for b, e in schedule], _at(start), _at(end))
    _check(figures, _by_minute(changes, holds, schedule, start, end), length)


@given(spans, minutes, minutes)
def test_spans_cover_what_a_minute_count_says(given_spans, a, b):
    covered = Spans([(_at(x), _at(y)) for x, y in given_spans]).covered(_at(a), _at(b))
    assert covered == sum(60 for m in range(a, b) if any(x <= m < y for x, y in given_spans))


@settings(max_examples=20)
@given(histories, spans)
def test_the_database_gives_the_same_figures(app, example_tenants, changes, holds):
    """Through the database (SQLite, or PostgreSQL): rows in, the report's figures as counted by minute.
    The period is Monday 2026-11-30 in Paris (23:00 UTC the day before), open 09:00-13:00, 14:00-19:00."""
    with app.session() as s:
        tenant = app.tenant(s, "voyages-lumiere")
        agent = s.scalar(select(Agent).where(Agent.name == "prop")) or _agent(s, tenant, "prop", T0)
        s.execute(delete(AgentStateChange).where(AgentStateChange.agent_id == agent.id))
        s.execute(delete(WorkItem))
        changes = [(minute - 180, state) for minute, state in changes]  # some before the period
        for minute, state in changes:
            _state(s, agent, _at(minute), state)
        for begin, end in holds:
            add_item(s, tenant, created=_at(begin), claimed=_at(begin), closed=_at(end)).claimed_by = "prop"
        s.flush()
        period = day_period("2026-11-30", "2026-11-30", "Europe/Paris")
        row = agent_rows(s, tenant, period, now=_at(10 ** 6))[0]
        s.commit()
    start = int((period.start - T0).total_seconds() // 60)
    schedule = [(start + 9 * 60, start + 13 * 60), (start + 14 * 60, start + 19 * 60)]
    # No history at all: the agent has been in its current state (the default, available) since it was added.
    expected = _by_minute(changes or [(0, "available")], holds, schedule, start, start + 24 * 60)
    logged = sum(expected[s] for s in WORKING)
    assert row["logged_in_h"] == round(logged / 60, 2)
    assert row["paused_h"] + row["logged_in_h"] + row["untracked_h"] == pytest.approx(24, abs=0.03)
    assert row["items_h"] == round(expected["items"] / 60, 2)
    assert row["scheduled_h"] == round(expected["scheduled"] / 60, 2)
    assert row["adherent_h"] == round(expected["adherent"] / 60, 2)
    busy = expected["on-call"] + expected["wrap-up"] + expected["items"]
    assert row["occupancy_pct"] == (round(100 * busy / logged, 1) if logged else None)
    assert row["occupancy_pct"] is None or 0 <= row["occupancy_pct"] <= 100
