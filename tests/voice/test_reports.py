"""Call figures (offered, answered, abandoned, ASA, service level) and billed minutes, from known calls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ccctl.db.models import Tenant

TENANT = ("tenant: t\nname: T\ntimezone: Europe/Paris\nqueues: [{name: accueil}, {name: ventes}]\n"
          "plugins:\n  voice:\n    enabled: true\n    numbers: ['+33180000001']\n")
# (queue, outcome, wait, talk, duration)
CALLS = [("accueil", "answered", 10, 100, 125), ("accueil", "answered", 30, 50, 61),
         ("accueil", "abandoned", 40, None, 59), ("accueil", "callback", 25, None, 0),
         (None, "voicemail", None, None, 30), ("ventes", "answered", 0, 60, None)]


@pytest.fixture
def calls(ccctl, app, tmp_path):
    from ccctl_voice.models import VoiceCall

    (tmp_path / "t.yaml").write_text(TENANT, encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(tmp_path / "t.yaml"))
    moment = datetime(2026, 11, 20, 9, 15, tzinfo=timezone.utc)  # 10:15 in Paris
    with app.session() as session:
        tenant = session.scalar(select(Tenant))
        for n, (queue, outcome, wait, talk, duration) in enumerate(CALLS):
            session.add(VoiceCall(tenant_id=tenant.id, call_sid=f"CA{n:032d}", queue=queue, outcome=outcome,
                                  state="ended", wait_seconds=wait, talk_seconds=talk, duration_seconds=duration,
                                  started_at=moment + timedelta(minutes=n), ended_at=moment + timedelta(minutes=n + 5)))
        session.commit()
        return tenant.id


def test_per_queue_and_hour(ccctl, calls):
    report = ccctl.json("voice", "report", "-t", "t", "--from", "2026-11-20", "--to", "2026-11-20", "--by", "hour")
    assert report["report"] == "voice" and report["parameters"]["answer_within_s"] == 20
    rows = report["rows"]
    accueil, ventes, total = rows
    assert accueil == {"period": "2026-11-20 10:00", "queue": "accueil", "offered": 4, "answered": 2,
                       "abandoned": 1, "callback": 1, "asa_s": 20.0, "service_level_pct": 25.0,
                       "avg_abandon_wait_s": 40.0, "talk_minutes": 2.5}
    assert (ventes["offered"], ventes["service_level_pct"], ventes["asa_s"]) == (1, 100.0, 0.0)
    assert (total["offered"], total["answered"], total["service_level_pct"]) == (5, 3, 40.0)
    wider = ccctl.json("voice", "report", "-t", "t", "--from", "2026-11-20", "--to", "2026-11-20",
                       "--answer-within", "30")["rows"]
    assert wider[0]["service_level_pct"] == 50.0


def test_no_calls_and_bad_input(ccctl, calls):
    assert ccctl.json("voice", "report", "-t", "t", "--from", "2026-11-21", "--to", "2026-11-21")["rows"] == []
    assert "not a date" in ccctl("voice", "report", "-t", "t", "--from", "20/11", code=2).stderr
    assert "after --to" in ccctl("voice", "report", "-t", "t", "--from", "2026-11-21", "--to", "2026-11-20",
                                 code=2).stderr


def test_billed_minutes_per_started_minute(app, calls):
    with app.session() as session:
        tenant = session.get(Tenant, calls)
        lines = app.hook(tenant, "ccctl_billing_usage")(
            tenant=tenant, start=datetime(2026, 11, 20, tzinfo=timezone.utc),
            end=datetime(2026, 11, 21, tzinfo=timezone.utc), ctx=app.context(session, tenant))
        none = app.hook(tenant, "ccctl_billing_usage")(
            tenant=tenant, start=datetime(2026, 11, 21, tzinfo=timezone.utc),
            end=datetime(2026, 11, 22, tzinfo=timezone.utc), ctx=app.context(session, tenant))
    # 125 s -> 3, 61 s -> 2, 59 s -> 1, 30 s -> 1; 0 s and unknown bill nothing.
    assert [line for group in lines for line in group if line["unit"] == "voice_minute"][0]["quantity"] == 7
    assert [line for group in none for line in group] == []


def test_report_kpi_gets_the_call_columns(ccctl, calls):
    rows = ccctl.json("report", "kpi", "-t", "t", "--from", "2026-11-20", "--to", "2026-11-21")["rows"]
    day, next_day, total = rows
    assert (day["period"], day["calls_offered"], day["calls_answered"], day["calls_abandoned"],
            day["calls_asa_s"], day["calls_sl_pct"]) == ("2026-11-20", 5, 3, 1, 13.3, 40.0)
    assert next_day["calls_offered"] is None and total["calls_offered"] == 5
    csv = ccctl("report", "kpi", "-t", "t", "--from", "2026-11-20", "--to", "2026-11-20", "--format", "csv").stdout
    assert "calls_offered" in csv.splitlines()[0]


def test_report_kpi_has_the_call_figures_per_queue_and_hour_and_its_table_fits_120_columns(ccctl, calls):
    period = ("--from", "2026-11-20", "--to", "2026-11-20", "--by", "hour")
    rows = ccctl.json("report", "kpi", "-t", "t", *period)["rows"]
    ten = next(row for row in rows if row["period"] == "2026-11-20 10:00")
    assert {k: v for k, v in ten.items() if k.startswith("q_accueil_calls")} == {
        "q_accueil_calls_offered": 4, "q_accueil_calls_answered": 2, "q_accueil_calls_abandoned": 1,
        "q_accueil_calls_asa_s": 20.0, "q_accueil_calls_sl_pct": 25.0}
    assert (ten["q_ventes_calls_offered"], ten["q_ventes_calls_asa_s"], ten["q_ventes_calls_sl_pct"]) == (1, 0.0, 100.0)
    assert (ten["calls_offered"], ten["calls_answered"], ten["calls_abandoned"]) == (5, 3, 1)
    nine = next(row for row in rows if row["period"] == "2026-11-20 09:00")
    assert nine["q_accueil_calls_offered"] is None and nine["calls_offered"] is None  # no call that hour
    assert rows[-1]["period"] == "total" and rows[-1]["q_accueil_calls_offered"] == 4
    table = ccctl("report", "kpi", "-t", "t", *period, "--format", "table")
    assert max(len(line) for line in table.stdout.splitlines()) <= 120
    assert "more columns: --wide" in table.stderr
    wide = ccctl("report", "kpi", "-t", "t", *period, "--wide", "--format", "table").stdout
    assert "q_accueil_calls_sl_pct" in wide.splitlines()[0]
    header = ccctl("report", "kpi", "-t", "t", *period, "--format", "csv").stdout.splitlines()[0].split(",")
    assert header.index("calls_offered") < header.index("q_accueil_calls_offered") < header.index("q_ventes_calls_offered")
