"""A call-back's priority rises as its slot passes (the queue's `escalate`, driven by not_before)."""

from __future__ import annotations

from datetime import timedelta

from callback_helpers import slot_utc, tomorrow

from ccctl.db.models import WorkItem
from ccctl.queue.escalate import escalate


def test_priority_rises_once_the_slot_is_past(cb, app):
    slot = tomorrow(10, 0)
    request = cb.json("callback", "request", "-t", "rappel", "--phone", "0612345678", "--slot", slot)
    with app.session() as s:
        tenant = app.tenant(s, "rappel")
        assert escalate(s, tenant, now=slot_utc(slot) + timedelta(minutes=10)) == []  # in its slot: not late
        first = escalate(s, tenant, now=slot_utc(slot) + timedelta(minutes=45))
        later = escalate(s, tenant, now=slot_utc(slot) + timedelta(hours=3))
        s.commit()
        priority = s.get(WorkItem, request["item"]).priority
    assert [c["id"] for c in first] == [request["item"]] and first[0]["priority"] > first[0]["from_priority"]
    assert later[0]["priority"] > first[0]["priority"] == later[0]["from_priority"]
    assert priority == later[0]["priority"]
