"""Export, erase and merge reach the call-back rows."""

from __future__ import annotations

import json

from callback_helpers import tomorrow
from sqlalchemy import func, select

from ccctl.db.models import WorkItem
from ccctl_callback.models import CallbackAttempt, CallbackRequest


def test_export_then_erase(cb, app):
    slot = tomorrow(11, 30)
    request = cb.json("callback", "request", "-t", "rappel", "--phone", "0612345678", "--name", "Zoé Privée",
                      "--reason", "Secret Z", "--slot", slot, "--context", '{"page": "https://x.example/z"}')
    cb("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "marie", "--manual",
       "--outcome", "no-answer", "--note", "répondeur")
    exported = json.loads(cb("customer", "export", str(request["customer"]), "-t", "rappel").stdout)
    part = exported["customer"]["plugins"]["callback"]["callback_requests"][0]
    assert part["reason"] == "Secret Z" and part["context"] == {"page": "https://x.example/z"}
    assert part["attempts"][0]["note"] == "répondeur" and part["consent"] is True

    cb("customer", "erase", str(request["customer"]), "--yes", "-t", "rappel")
    with app.session() as s:
        assert s.scalar(select(func.count()).select_from(CallbackRequest)) == 0
        assert s.scalar(select(func.count()).select_from(CallbackAttempt)) == 0
        item = s.get(WorkItem, request["item"])
        assert item.state == "closed" and item.outcome == "cancelled"  # nobody calls an erased person
    seats = cb.json("callback", "slots", "-t", "rappel", "--date", slot.split()[0])
    assert next(s for s in seats if s["start"] == slot)["booked"] == 0


def test_merge_moves_requests(cb):
    source = cb.json("customer", "add", "Jean Double", "--phone", "0698765432", "-t", "rappel")
    target = cb.json("customer", "add", "Jean Double", "--phone", "0698765433", "-t", "rappel")
    request = cb.json("callback", "request", "-t", "rappel", "--phone", "0698765432", "--now")
    assert request["customer"] == source["id"]
    merged = cb.json("customer", "merge", str(source["id"]), str(target["id"]), "-t", "rappel")
    pop = cb.json("callback", "show", str(request["item"]), "-t", "rappel")
    assert pop["customer"] == target["id"]
    cb("customer", "unmerge", str(merged["merge_id"]), "-t", "rappel")  # the plugin's row goes back too
    exported = json.loads(cb("customer", "export", str(source["id"]), "-t", "rappel").stdout)
    assert exported["customer"]["plugins"]["callback"]["callback_requests"][0]["id"] == request["request"]
    cb("customer", "merge", str(source["id"]), str(target["id"]), "-t", "rappel")
    exported = json.loads(cb("customer", "export", str(target["id"]), "-t", "rappel").stdout)
    assert exported["customer"]["plugins"]["callback"]["callback_requests"][0]["id"] == request["request"]
