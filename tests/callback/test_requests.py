"""Call-back requests from the CLI: what a good one stores, and the clear errors for bad ones."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from callback_helpers import PARIS, slot_utc, tomorrow
from sqlalchemy import select

from ccctl.db.models import Interaction, WorkItem


def test_slot_request_books_a_seat_and_waits_in_the_queue(cb, app):
    slot = tomorrow(10, 30)
    row = cb.json("callback", "request", "-t", "rappel", "--phone", "06 12 34 56 78", "--name", "Élodie Martin",
                  "--reason", "Changer de date", "--slot", slot, "--ref", "PARTNER42",
                  "--context", json.dumps({"page": "https://voyages.example/rome", "form": "contact"}))
    assert row["phone"] == "+33612345678" and row["slot"] == slot and row["referral_code"] == "PARTNER42"
    assert row["consent"] is True
    with app.session() as s:
        item = s.get(WorkItem, row["item"])
        assert item.channel == "callback" and item.queue == "rappels"
        assert item.not_before == slot_utc(slot)
        assert item.customer_id == row["customer"]
        event = s.scalar(select(Interaction).where(Interaction.item_id == item.id, Interaction.channel == "callback"))
        assert "Changer de date" in event.summary
        assert event.payload["context"]["page"] == "https://voyages.example/rome"
    day = slot.split()[0]
    slots = {s["start"]: s for s in cb.json("callback", "slots", "-t", "rappel", "--date", day)}
    assert slots[slot]["booked"] == 1 and slots[slot]["free"] == 1 and slots[slot]["status"] == "open"


def test_full_slot_is_refused_with_the_next_open_ones(cb):
    slot = tomorrow(11, 0)
    for phone in ("0612345601", "0612345602"):
        cb("callback", "request", "-t", "rappel", "--phone", phone, "--slot", slot)
    refused = cb("callback", "request", "-t", "rappel", "--phone", "0612345603", "--slot", slot, code=1)
    assert "is full (2 call-backs)" in refused.stderr and "next open:" in refused.stderr
    day = slot.split()[0]
    full = [s for s in cb.json("callback", "slots", "-t", "rappel", "--date", day) if s["start"] == slot]
    assert full[0]["status"] == "full" and full[0]["booked"] == 2
    assert slot not in {s["start"] for s in cb.json("callback", "slots", "-t", "rappel", "--date", day, "--open")}


def test_bad_input_gets_a_clear_error(cb):
    def refused(*args, code=2):
        return cb("callback", "request", "-t", "rappel", *args, code=code).stderr

    assert "is not a valid phone number for region FR" in refused("--phone", "06 12 3", "--slot", tomorrow())
    assert "is not a phone number" in refused("--phone", "rappelez-moi", "--slot", tomorrow())
    yesterday = (datetime.now(PARIS) - timedelta(days=1)).strftime("%Y-%m-%d 10:30")
    assert "is in the past" in refused("--phone", "0612345678", "--slot", yesterday)
    assert "is not a 30-minute slot" in refused("--phone", "0612345678", "--slot", tomorrow(10, 10))
    far = (datetime.now(PARIS) + timedelta(days=40)).strftime("%Y-%m-%d 10:30")
    assert "more than 30 days ahead" in refused("--phone", "0612345678", "--slot", far)
    assert "not a date and time" in refused("--phone", "0612345678", "--slot", "demain 10h")
    assert "not valid JSON" in refused("--phone", "0612345678", "--slot", tomorrow(), "--context", "{page")
    assert "must be a JSON object" in refused("--phone", "0612345678", "--slot", tomorrow(), "--context", "[1]")
    assert "exactly one of --slot or --now" in refused("--phone", "0612345678", "--now", "--slot", tomorrow())
    assert "exactly one of --slot or --now" in refused("--phone", "0612345678")
    assert "too long" in refused("--phone", "0612345678", "--now", "--name", "x" * 201)


def test_closed_hours_and_holidays_are_refused(ccctl, tmp_path):
    from callback_helpers import write_tenant

    today = datetime.now(PARIS).date()
    other = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(today.weekday() + 1) % 7]
    extra = f"    hours: {{{other}: ['09:00-12:00']}}\n"
    ccctl("tenant", "apply", "-f", str(write_tenant(tmp_path, "horaires", holidays="FR", extra=extra)))
    closed_now = ccctl("callback", "request", "-t", "horaires", "--phone", "0612345678", "--now", code=2).stderr
    assert "closed now; it opens" in closed_now and "09:00" in closed_now
    tomorrow_evening = tomorrow(18, 0)
    outside = ccctl("callback", "request", "-t", "horaires", "--phone", "0612345678",
                    "--slot", tomorrow_evening, code=2).stderr
    assert f"({other}: 09:00-12:00)" in outside
    christmas = ccctl("callback", "request", "-t", "horaires", "--phone", "0612345678",
                      "--slot", f"{today.year}-12-25 10:00", code=2).stderr
    assert "public holiday (Christmas Day)" in christmas
    assert ccctl.json("callback", "slots", "-t", "horaires", "--date", f"{today.year}-12-25") == []


def test_call_me_now_is_due_at_once(cb, app):
    row = cb.json("callback", "request", "-t", "rappel", "--phone", "+33 6 12 34 56 78", "--now", "--reason", "Urgent")
    assert row["slot"] == "now"
    with app.session() as s:
        item = s.get(WorkItem, row["item"])
        assert item.not_before <= datetime.now(item.not_before.tzinfo)


def test_same_key_makes_one_request_and_one_seat(cb):
    slot = tomorrow(12, 0)
    first = cb.json("callback", "request", "-t", "rappel", "--phone", "0612345678", "--slot", slot, "--key", "form-1")
    again = cb("callback", "request", "-t", "rappel", "--phone", "0612345678", "--slot", slot, "--key", "form-1",
               "--format", "json")
    assert json.loads(again.stdout)["request"] == first["request"] and "already exists" in again.stderr
    seats = [s for s in cb.json("callback", "slots", "-t", "rappel", "--date", slot.split()[0]) if s["start"] == slot]
    assert seats[0]["booked"] == 1


def test_plugin_disabled_for_tenant(example_tenants):
    refused = example_tenants("callback", "request", "-t", "assurance-horizon", "--phone", "0612345678", "--now",
                              code=1).stderr
    assert "not enabled for tenant assurance-horizon" in refused


def test_slots_formats(cb):
    day = tomorrow().split()[0]
    csv_out = cb("callback", "slots", "-t", "rappel", "--date", day, "--format", "csv").stdout.splitlines()
    assert csv_out[0] == "start,end,capacity,booked,free,status" and len(csv_out) == 1 + 48
    rows = cb.json("callback", "slots", "-t", "rappel", "--date", day, "--days", "2")
    assert len(rows) == 96 and rows[0]["start"] == f"{day} 00:00" and rows[0]["end"] == "00:30"
