"""Agents' phone and state (kept as a history), and the claim's respect of state and reservations."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ccctl.db.models import AgentStateChange, WorkItem, utcnow


def test_state_changes_are_kept_and_claims_follow_them(ccctl, app, tmp_path):
    (tmp_path / "t.yaml").write_text("tenant: t\nname: T\nqueues: [{name: accueil}]\n", encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(tmp_path / "t.yaml"))
    ccctl("agent", "add", "marie", "--serves", "t")
    row = ccctl.json("agent", "set", "marie", "--phone", "06 12 34 56 78", "--state", "paused", "--reason", "lunch")
    assert (row["phone"], row["state"], row["state_reason"], row["available"]) == ("+33612345678", "paused",
                                                                                   "lunch", False)
    ccctl.json("agent", "set", "marie", "--state", "paused", "--reason", "lunch")  # no change, no new row
    ccctl.json("agent", "set", "marie", "--state", "wrap-up")
    row = ccctl.json("agent", "set", "marie", "--available")
    assert (row["state"], row["available"]) == ("available", True)
    with app.session() as session:
        states = [(c.state, c.reason, c.source) for c in session.scalars(
            select(AgentStateChange).order_by(AgentStateChange.id))]
    assert states == [("available", "", "agent add"), ("paused", "lunch", "operator"), ("wrap-up", "", "operator"), ("available", "", "operator")]
    ccctl("agent", "set", "marie", "--state", "on-call")
    assert "not available" in ccctl("queue", "next", "--agent", "marie", code=1).stderr


def test_bad_agent_input(ccctl, tmp_path):
    (tmp_path / "t.yaml").write_text("tenant: t\nname: T\nqueues: [{name: accueil}]\n", encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(tmp_path / "t.yaml"))
    ccctl("agent", "add", "marie", "--serves", "t")
    assert "not a valid phone number" in ccctl("agent", "set", "marie", "--phone", "12", code=2).stderr
    assert "not a phone number" in ccctl("agent", "set", "marie", "--phone", "abc", code=2).stderr
    assert "is not one of" in ccctl("agent", "set", "marie", "--state", "asleep", code=2).stderr
    assert "not both" in ccctl("agent", "set", "marie", "--state", "paused", "--available", code=2).stderr
    assert ccctl.json("agent", "set", "marie", "--phone", "")["phone"] is None


def test_a_reserved_item_goes_only_to_its_agent_until_the_reservation_ends(ccctl, app, tmp_path):
    from ccctl.db.models import Tenant
    from ccctl.queue.items import create_item

    (tmp_path / "t.yaml").write_text("tenant: t\nname: T\nqueues: [{name: accueil}]\n", encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(tmp_path / "t.yaml"))
    for name in ("marie", "paul"):
        ccctl("agent", "add", name, "--serves", "t")
    with app.session() as session:
        ctx = app.context(session, session.scalar(select(Tenant)))
        reserved, _ = create_item(ctx, "voice", subject="kept for marie", priority=9)
        other, _ = create_item(ctx, "email", subject="anyone")
        reserved.reserved_for, reserved.reserved_until = "marie", utcnow() + timedelta(minutes=5)
        session.commit()
    assert ccctl.json("queue", "next", "--agent", "paul")["id"] == other.id
    ccctl("item", "close", str(other.id), "--outcome", "resolved", "--agent", "paul", "-t", "t")
    assert ccctl("queue", "next", "--agent", "paul").stdout == ""
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == reserved.id
    ccctl("item", "release", str(reserved.id), "-t", "t", "--agent", "marie")
    with app.session() as session:  # the reservation ran out: anyone may take it
        session.get(WorkItem, reserved.id).reserved_until = utcnow() - timedelta(seconds=1)
        session.commit()
    assert ccctl.json("queue", "next", "--agent", "paul")["id"] == reserved.id
