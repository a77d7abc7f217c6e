"""Follow-ups are listed with the call-backs (``ccctl_list_callbacks``) and in ``queue list``, with the
original request and what was sent; times in the tenant's zone, named."""

from __future__ import annotations

import re
from datetime import datetime

from fulfil_helpers import apply, new_item

CALLBACK = "  callback:\n    enabled: true\n"
ADDRESS = {"address": "3 rue des Lilas", "postcode": "69003", "city": "Lyon"}


def test_callback_list_shows_follow_ups_with_the_request_and_what_was_sent(app, ccctl, tmp_path, pdfs):
    apply(ccctl, tmp_path / "clients", pdfs, extra=CALLBACK)
    request = new_item(app, "voyages", "l1", email=None, customer_attributes=ADDRESS, subject="Brochure Pérou SVP",
                       body="Pour un voyage en mars", attributes={"brochure": "perou"})
    slot = ccctl.json("callback", "slots", "--open", "--days", "8", "-t", "voyages")[0]["start"]
    ccctl("callback", "request", "--phone", "06 98 76 54 32", "--name", "Jean", "--slot", slot, "-t", "voyages")
    listed = ccctl.json("callback", "list", "-t", "voyages")
    assert [row["source"] for row in listed] == ["cli", "fulfil"]  # soonest first: the follow-up is days away
    follow = listed[1]
    assert (follow["name"], follow["phone"], follow["state"]) == ("Anna Petit", "+33612345678", "scheduled")
    assert follow["context"] == {"request_item": request, "request": "Brochure Pérou SVP",
                                 "message": "Pour un voyage en mars",
                                 "sent": "Pérou en liberté (fr) added to the postal mailing batch"}
    assert follow["reason"] == (f"Follow-up of item {request} (Brochure Pérou SVP): "
                                "Pérou en liberté (fr) added to the postal mailing batch")
    assert datetime.fromisoformat(follow["slot"]).utcoffset() is not None  # JSON: ISO 8601 with its offset
    table = ccctl("callback", "list", "-t", "voyages", "--format", "table").stdout
    assert re.search(r"\d{4}-\d{2}-\d{2} 09:00 CES?T", table)  # the follow-up's time, Paris, the zone named
    assert "Follow-up of item" in table and "postal mailing batch" in table
    queued = ccctl.json("queue", "list", "-t", "voyages", "--queue", "rappels")
    assert [row["subject"] for row in queued] == [
        f"Follow-up: Pérou en liberté (fr) added to the postal mailing batch (request {request}: Brochure Pérou SVP)"]


def test_callback_list_state_filter_reaches_follow_ups(app, ccctl, tmp_path, pdfs):
    apply(ccctl, tmp_path / "clients", pdfs, extra=CALLBACK)
    new_item(app, "voyages", "s1", email=None, customer_attributes=ADDRESS, attributes={"brochure": "perou"})
    assert [r["state"] for r in ccctl.json("callback", "list", "-t", "voyages", "--state", "scheduled")] == ["scheduled"]
    assert ccctl.json("callback", "list", "-t", "voyages", "--state", "cancelled") == []
    slot = ccctl.json("callback", "slots", "--open", "--days", "8", "-t", "voyages")[0]["start"]
    ccctl("callback", "request", "--phone", "06 12 34 56 78", "--slot", slot, "-t", "voyages")  # got in touch
    [booked] = ccctl.json("callback", "list", "-t", "voyages", "--state", "scheduled")
    assert booked["source"] == "cli"
    [cancelled] = ccctl.json("callback", "list", "-t", "voyages", "--state", "cancelled")
    assert cancelled["source"] == "fulfil"
    assert ccctl.json("callback", "list", "-t", "autre") == []  # another client's follow-ups are not shown
