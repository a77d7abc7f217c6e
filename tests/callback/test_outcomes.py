"""Manual outcomes: reached, no-answer with backoff up to max_attempts, wrong number, cancelled; all in history."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from callback_helpers import tomorrow, write_tenant
from sqlalchemy import select

from ccctl.db.models import Interaction, WorkItem


def book(cb, slot=None, *extra):
    return cb.json("callback", "request", "-t", "rappel", "--phone", "0612345678", "--name", "Paul",
                   "--reason", "Facture", *(["--slot", slot] if slot else ["--now"]), *extra)


def dial(cb, item, outcome, *extra, code=0):
    args = ["callback", "dial", str(item), "-t", "rappel", "--agent", "marie", "--manual", "--outcome", outcome, *extra]
    return cb(*args, "--format", "json", code=code)


def history(app, item_id):
    with app.session() as s:
        return [i.summary for i in s.scalars(select(Interaction).where(
            Interaction.item_id == item_id, Interaction.channel == "callback").order_by(Interaction.id))]


def test_no_answer_reschedules_with_backoff_then_gives_up(cb, app):
    request = book(cb)
    before = datetime.now(timezone.utc)
    first = dial(cb, request["item"], "no-answer", "--note", "messagerie")
    import json

    first = json.loads(first.stdout)
    assert first["state"] == "scheduled" and first["attempt"] == 1
    with app.session() as s:
        item = s.get(WorkItem, request["item"])
        assert item.state == "open" and item.not_before >= before + timedelta(minutes=30)
        assert item.not_before < before + timedelta(minutes=35)
    second = json.loads(dial(cb, request["item"], "no-answer").stdout)
    with app.session() as s:
        assert s.get(WorkItem, request["item"]).not_before >= before + timedelta(hours=2)
    assert second["attempt"] == 2 and second["state"] == "scheduled"
    third = json.loads(dial(cb, request["item"], "no-answer").stdout)
    assert third["state"] == "exhausted" and third["next_attempt"] is None
    with app.session() as s:
        item = s.get(WorkItem, request["item"])
        assert item.state == "closed" and item.outcome == "no-answer"
    refused = dial(cb, request["item"], "reached", code=1)
    assert "already exhausted" in refused.stderr
    events = history(app, request["item"])
    assert events[1].startswith("Call-back attempt 1 by marie: no-answer, next try") and "messagerie" in events[1]
    assert events[3] == "Call-back attempt 3 by marie: no-answer, gave up after 3 attempts"
    pop = cb.json("callback", "show", str(request["item"]), "-t", "rappel")
    assert [a["outcome"] for a in pop["attempts"]] == ["no-answer"] * 3
    assert pop["attempts"][0]["note"] == "messagerie" and pop["state"] == "exhausted"


def test_reached_and_wrong_number_close_the_item(cb, app):
    reached, wrong = book(cb), book(cb, None, "--key", "second")
    dial(cb, reached["item"], "reached")
    dial(cb, wrong["item"], "wrong-number")
    with app.session() as s:
        assert s.get(WorkItem, reached["item"]).outcome == "reached"
        assert s.get(WorkItem, wrong["item"]).state == "closed"
    assert history(app, wrong["item"])[-1] == "Call-back attempt 1 by marie: wrong-number"


def test_cancel_frees_the_seat(cb):
    slot = tomorrow(17, 0)
    request = book(cb, slot)
    seats = lambda: next(s for s in cb.json("callback", "slots", "-t", "rappel", "--date", slot.split()[0])  # noqa: E731
                         if s["start"] == slot)["booked"]
    assert seats() == 1
    dial(cb, request["item"], "cancelled")
    assert seats() == 0
    listed = cb.json("callback", "list", "-t", "rappel", "--state", "cancelled")
    assert [r["request"] for r in listed] == [request["request"]]


def test_screen_pop_shows_context_and_whole_history(cb, app):
    cb("customer", "add", "Paul", "--phone", "0612345678", "-t", "rappel")
    request = book(cb, tomorrow(), "--context", '{"page": "https://shop.example/panier"}', "--ref", "NEWS")
    pop = cb.json("callback", "show", str(request["item"]), "-t", "rappel")
    assert pop["context"] == {"page": "https://shop.example/panier"} and pop["referral_code"] == "NEWS"
    assert pop["customer"] == request["customer"] and pop["consent"].startswith("asked by the person")
    assert any("Asked to be called back at" in e["summary"] for e in pop["timeline"])
    assert pop["attempts"] == []
    not_callback = cb("callback", "show", "999", "-t", "rappel", code=1)
    assert "no item 999" in not_callback.stderr


def test_manual_mode_needs_an_outcome(cb):
    request = book(cb)
    usage = cb("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "marie", "--manual", code=2)
    assert "--manual needs --outcome" in usage.stderr


def test_calling_hours_guard_without_consent(ccctl, tmp_path):
    today = datetime.now(timezone.utc).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    other = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(today.weekday() + 3) % 7]
    extra = f"    calling_hours: {{hours: {{{other}: ['10:00-11:00']}}}}\n"
    ccctl("tenant", "apply", "-f", str(write_tenant(tmp_path, "garde", extra=extra)))
    asked = ccctl.json("callback", "request", "-t", "garde", "--phone", "0612345678", "--now")
    cold = ccctl.json("callback", "request", "-t", "garde", "--phone", "0612345679", "--now", "--no-consent")
    refused = ccctl("callback", "dial", str(cold["item"]), "-t", "garde", "--agent", "marie", "--manual",
                    "--outcome", "reached", code=1)
    assert "outside the calling hours for calls without consent" in refused.stderr
    ccctl("callback", "dial", str(asked["item"]), "-t", "garde", "--agent", "marie", "--manual", "--outcome", "reached")
    # Cancelling is not a call: always allowed.
    ccctl("callback", "dial", str(cold["item"]), "-t", "garde", "--agent", "marie", "--manual", "--outcome", "cancelled")


def test_operator_flow_with_queue_claims(cb, app):
    """queue next claims the call-back; a no-answer puts it back, waiting; another agent cannot dial a held one."""
    cb("agent", "add", "marie", "--serves", "rappel")
    cb("agent", "add", "paul", "--serves", "rappel")
    request = book(cb)
    claimed = cb.json("queue", "next", "--agent", "marie", "-t", "rappel")
    assert claimed["id"] == request["item"]
    held = cb("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "paul", "--manual",
              "--outcome", "reached", code=1)
    assert "is held by marie, not paul" in held.stderr
    dial(cb, request["item"], "no-answer")
    with app.session() as s:
        item = s.get(WorkItem, request["item"])
        assert item.state == "open" and item.claimed_by is None
    # Waiting for its retry time: nobody gets it now.
    assert cb("queue", "next", "--agent", "paul", "-t", "rappel", "--format", "json").stdout.strip() in ("", "null", "{}")


def test_twilio_mode_without_settings_says_what_to_set(cb):
    request = book(cb)
    no_phone = cb("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "marie", code=2)
    assert "no phone for agent 'marie'" in no_phone.stderr and "agent_phones" in no_phone.stderr
    no_caller = cb("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "marie",
                   "--agent-phone", "0611111111", code=1)
    assert "set plugins.callback.twilio.caller_id" in no_caller.stderr
    assert cb.json("callback", "show", str(request["item"]), "-t", "rappel")["attempts"] == []
