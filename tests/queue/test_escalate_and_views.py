"""`queue escalate` (idempotent, rising with lateness, moves), and `queue list/show/stats`."""

from datetime import timedelta

from ccctl.db.models import WorkItem, utcnow
from ccctl.queue.escalate import escalate

HOUR = timedelta(hours=1)


def run(app, now, dry_run=False):
    with app.session() as session:
        changes = escalate(session, app.tenant(session, "travel"), now=now, dry_run=dry_run)
        session.commit()
    return {c["id"]: c for c in changes}


def test_overdue_item_climbs_once_per_step_and_reruns_change_nothing(app, make_item, fetch):
    item_id = make_item(subject="Refund", queue="claims")  # priority 5, raise_by 10 per hour, max 40
    due = fetch(item_id).due_at
    assert run(app, due - HOUR) == {}  # not late yet
    first = run(app, due + timedelta(minutes=10))
    assert (first[item_id]["from_priority"], first[item_id]["priority"], first[item_id]["level"]) == (5, 15, 1)
    assert run(app, due + timedelta(minutes=20)) == {}  # same step: nothing to do
    assert run(app, due + timedelta(minutes=20)) == {}
    later = run(app, due + timedelta(hours=2, minutes=10))  # two more steps owed at once
    assert (later[item_id]["priority"], later[item_id]["level"]) == (35, 3)
    capped = run(app, due + timedelta(hours=9))
    assert capped[item_id]["priority"] == 40
    assert fetch(item_id).priority == 40


def test_dry_run_changes_nothing(app, make_item, fetch):
    item_id = make_item(subject="Refund", queue="claims")
    changes = run(app, fetch(item_id).due_at + HOUR, dry_run=True)
    assert changes[item_id]["priority"] == 25
    assert (fetch(item_id).priority, fetch(item_id).escalation_level) == (5, 0)


def test_callback_priority_rises_as_its_slot_passes(app, make_item, fetch):
    slot = utcnow() + timedelta(minutes=5)
    item_id = make_item(channel="callback", subject="Call back", queue="claims", not_before=slot)
    assert run(app, slot + timedelta(minutes=20)) == {}  # within late_after (30m)
    assert run(app, slot + timedelta(minutes=40))[item_id]["priority"] == 15
    assert run(app, slot + timedelta(minutes=100))[item_id]["priority"] == 25


def test_move_to_another_queue(app, make_item, fetch):
    item_id = make_item(channel="web", subject="Partner", queue="partners")
    before = fetch(item_id)
    assert before.skills == []
    changes = run(app, before.due_at + timedelta(minutes=1))
    assert (changes[item_id]["from_queue"], changes[item_id]["queue"]) == ("partners", "urgent")
    after = fetch(item_id)
    assert (after.queue, after.priority, after.skills) == ("urgent", 60, ["claims"])
    assert run(app, before.due_at + timedelta(minutes=2)) == {}


def test_claimed_and_closed_items_are_left_alone(app, make_item, fetch):
    item_id = make_item(subject="Refund", queue="claims")
    with app.session() as session:
        session.get(WorkItem, item_id).state = "claimed"
        session.commit()
    assert run(app, fetch(item_id).due_at + 5 * HOUR) == {}


def test_escalate_command_is_idempotent_and_writes_history_once(ccctl, tenants, make_item, fetch):
    item_id = make_item(subject="Refund", queue="claims", due_in=-timedelta(minutes=5))
    rows = ccctl.json("queue", "escalate", "--all-tenants")
    assert [(r["tenant"], r["id"], r["priority"]) for r in rows] == [("travel", item_id, 15)]
    assert ccctl.json("queue", "escalate", "-t", "travel") == []
    history = ccctl.json("item", "show", str(item_id), "-t", "travel")["history"]
    assert [h["summary"] for h in history if "escalated" in h["summary"]] == [
        "escalated (level 1): priority 5 → 15"]
    assert "0 item(s) would be escalated" in ccctl("queue", "escalate", "-t", "travel", "--dry-run").stderr


def test_list_show_stats(ccctl, tenants, make_item):
    late = make_item(subject="late one", queue="bookings", due_in=-HOUR)
    make_item(subject="fresh", queue="bookings")
    make_item(subject="tomorrow", queue="claims", not_before=utcnow() + timedelta(days=1))
    make_item(tenant="other", subject="not ours")
    rows = ccctl.json("queue", "list", "-t", "travel")
    assert [r["subject"] for r in rows] == ["late one", "fresh", "tomorrow"]
    assert [r["breached"] for r in rows] == [True, False, False]
    assert set(rows[0]) >= {"age", "due_at", "breached", "claimed_by"}
    assert [r["id"] for r in ccctl.json("queue", "list", "-t", "travel", "--breached")] == [late]
    assert ccctl.json("queue", "list", "-t", "travel", "--state", "closed") == []
    stats = {r["queue"]: r for r in ccctl.json("queue", "stats", "-t", "travel")}
    assert list(stats) == ["bookings", "claims", "vip", "urgent", "partners"]
    assert (stats["bookings"]["open"], stats["bookings"]["breached"]) == (2, 1)
    assert (stats["claims"]["open"], stats["claims"]["scheduled"]) == (0, 1)
    assert stats["vip"]["open"] == 0 and stats["vip"]["oldest_age"] == ""
    shown = ccctl.json("queue", "show", "bookings", "-t", "travel")
    assert (shown["sla"], shown["open"], shown["breached"], shown["escalation_raise_by"]) == ("4h", 2, 1, 10)
    assert ccctl.json("queue", "show", "claims", "-t", "travel")["routing_rules"] == ["big-refunds", "refunds"]
    csv = ccctl("queue", "list", "-t", "travel", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("id,queue,channel,state") and len(csv) == 4
