"""ccctl report staffing: weekday history → arrivals per interval → Erlang C agents, beside agents on shift."""

import json
from datetime import timedelta

import pytest

from reports.report_helpers import add_item, paris

from ccctl.db.models import Agent, AgentTenant
from ccctl.reports.erlang import agents_needed

PLAN = ("-t", "voyages-lumiere", "--date", "2026-11-30", "--target", "80/20")  # a Monday


@pytest.fixture
def history(example_tenants, app):
    with app.session() as s:
        t = app.tenant(s, "voyages-lumiere")
        other = app.tenant(s, "assurance-horizon")
        mondays = [paris(2026, 11, d) for d in (2, 9, 16, 23)]
        for week, monday in enumerate(mondays):
            for n in range(100):  # 100 contacts between 10:00 and 10:30, each handled in 180 s
                created = monday + timedelta(hours=10, seconds=17 * n)
                add_item(s, t, created=created, claimed=created, closed=created + timedelta(seconds=180))
            if week < 2:  # 20 contacts at 10:30 on two Mondays out of four: 10 on average
                for n in range(20):
                    add_item(s, t, created=monday + timedelta(hours=10, minutes=31 + n))
            if week == 0:  # one evening contact, outside business hours
                add_item(s, t, created=monday + timedelta(hours=20, minutes=5))
        created = paris(2026, 11, 23, 15)
        add_item(s, t, created=created, claimed=created, closed=created + timedelta(hours=10))  # forgotten claim
        add_item(s, t, created=paris(2026, 11, 29, 10))  # a Sunday: other weekday
        add_item(s, t, created=paris(2026, 10, 26, 10, 5))  # five weeks back: outside --weeks 4
        add_item(s, other, queue="sinistres", created=paris(2026, 11, 23, 10, 5))
        for name, available, tenant, skills in [("ana", True, t, ["booking", "fr"]), ("bob", True, t, ["fr"]),
                                                ("cid", False, t, ["booking", "fr"]), ("dan", True, other, [])]:
            agent = Agent(name=name, skills=skills, available=available, capacity=1)
            s.add(agent)
            s.flush()
            s.add(AgentTenant(agent_id=agent.id, tenant_id=tenant.id))
        s.commit()
    return example_tenants


def test_agents_needed_per_interval(history):
    result = history("report", "staffing", *PLAN, "--format", "json")
    report = json.loads(result.stdout)
    rows = {r["interval"]: r for r in report["rows"]}
    # The figures say what they were computed from: the day, the handling time and its source.
    assert {k: report["parameters"][k] for k in ("tenant", "target", "interval_min", "aht_source")} == {
        "tenant": "voyages-lumiere", "target": "80/20", "interval_min": 30, "aht_source": "history"}
    assert report["report"] == "staffing" and report["parameters"]["date"] and report["parameters"]["aht_s"] > 0
    assert rows["10:00-10:30"] == {"interval": "10:00-10:30", "arrivals": 100.0, "erlangs": 10.0, "agents_needed": 14,
                                   "service_level_pct": 88.8, "asa_s": 7.8, "abandon_pct": None, "on_shift": 2,
                                   "gap": -12}
    assert rows["10:30-11:00"]["arrivals"] == 10.0 and rows["10:30-11:00"]["erlangs"] == 1.0
    assert rows["10:30-11:00"]["agents_needed"] == agents_needed(10, 1800, 180, 0.8, 20) == 3
    assert rows["09:00-09:30"]["agents_needed"] == 0 and rows["09:00-09:30"]["arrivals"] == 0
    assert rows["20:00-20:30"]["arrivals"] == 0.25  # outside hours, shown because contacts came
    assert "13:00-13:30" not in rows and "08:30-09:00" not in rows  # lunch break and before opening
    assert "aht_s: 180.0, aht_source: history" in result.stderr


def test_aht_override_and_hourly_interval(history):
    rows = history.json("report", "staffing", *PLAN, "--aht", "240", "--interval", "60")["rows"]
    ten = next(r for r in rows if r["interval"] == "10:00-11:00")
    assert ten["arrivals"] == 110.0 and ten["agents_needed"] == agents_needed(110, 3600, 240, 0.8, 20)


def test_queue_filter_counts_skilled_agents(history):
    rows = history.json("report", "staffing", *PLAN, "--queue", "reservations")["rows"]  # needs booking + fr
    ten = next(r for r in rows if r["interval"] == "10:00-10:30")
    assert ten["on_shift"] == 1 and ten["agents_needed"] == 14
    rows = history.json("report", "staffing", *PLAN, "--queue", "apres-vente")["rows"]  # no history there
    assert all(r["arrivals"] == 0 for r in rows)


def test_channel_filter_without_history_uses_default_aht(history):
    result = history("report", "staffing", *PLAN, "--channel", "callback", "--format", "json")
    assert "aht_source: default" in result.stderr
    assert all(r["agents_needed"] == 0 for r in json.loads(result.stdout)["rows"])


@pytest.mark.parametrize("args, message", [
    (("--target", "80"), "--target: '80' is not like 80/20"),
    (("--target", "120/20"), "the percent must be between 0 and 100"),
    (("--target", "eighty/20"), "is not like 80/20"),
    (("--date", "2026-02-30"), "--date: '2026-02-30' is not a date"),
    (("--interval", "7"), "--interval must divide a day"),
    (("--weeks", "0"), "--weeks must be between 1 and 52"),
    (("--queue", "nope"), "--queue: tenant voyages-lumiere has no queue 'nope'"),
])
def test_bad_input(example_tenants, args, message):
    result = example_tenants("report", "staffing", "-t", "voyages-lumiere", *args, code=2)
    assert message in result.stderr


def test_unknown_tenant(example_tenants):
    assert "no tenant 'ghost'" in example_tenants("report", "staffing", "-t", "ghost", code=2).stderr


def test_erlang_a_with_given_or_measured_patience(history, app):
    from reports.report_helpers import add_item, paris

    report = history.json("report", "staffing", *PLAN, "--model", "erlang-a", "--patience", "60")
    assert (report["parameters"]["model"], report["parameters"]["patience_s"]) == ("erlang-a", 60.0)
    ten = next(r for r in report["rows"] if r["interval"] == "10:00-10:30")
    assert 1 <= ten["agents_needed"] <= 14 and ten["service_level_pct"] >= 80 and ten["abandon_pct"] > 0
    # Nothing abandoned in the history: patience looks infinite, Erlang C applies.
    result = history("report", "staffing", *PLAN, "--model", "erlang-a", "--format", "json")
    assert "model: erlang-c" in result.stderr
    with app.session() as s:  # calls: 3 abandoned after 40 s, 3 answered after 20 s -> patience 60 s
        t = app.tenant(s, "voyages-lumiere")
        for n in range(3):
            created = paris(2026, 11, 23, 11, n)
            add_item(s, t, channel="voice", created=created, closed=created + timedelta(seconds=40), outcome="abandoned")
            add_item(s, t, channel="voice", created=created, claimed=created + timedelta(seconds=20),
                     closed=created + timedelta(seconds=300), outcome="resolved")
        s.commit()
    result = history("report", "staffing", *PLAN, "--model", "erlang-a", "--channel", "voice", "--format", "json")
    assert "model: erlang-a, patience_s: 60.0" in result.stderr
    assert "is for --model erlang-a" in history("report", "staffing", *PLAN, "--patience", "60", code=2).stderr
