"""Call-back cases for the tenant isolation harness (tests/core/test_isolation.py)."""

from __future__ import annotations

import json


def populate(app, session, tenant, side, world):
    """A slot request on each side (same slot, same phone); only A's reason carries the A marker."""
    from ccctl.db.models import utcnow
    from ccctl_callback.config import callback_config
    from ccctl_callback.requests import RequestInput, create_request
    from ccctl_callback.slots import local_zone, open_slots

    if "cb_slot_utc" not in world:
        first = open_slots(session, tenant, callback_config(tenant), utcnow(), limit=1)[0]
        local = first.start.astimezone(local_zone(tenant))
        world.update(cb_slot_utc=first.start, cb_slot=f"{local:%Y-%m-%d %H:%M}", cb_day=f"{local:%Y-%m-%d}")
    request, _ = create_request(app.context(session, tenant), RequestInput(
        phone="06 12 34 56 78", name="Élodie Martin", reason=f"{side.upper()}-ONLY rappel",
        slot=world["cb_slot_utc"], context={"page": f"https://{side}-only.example/"}, ref="iso-key"))
    world[f"{side}_callback_item"] = request.item_id
    world[f"{side}_callback_request"] = request.id


def _rows(result):
    return json.loads(result.stdout)


CASES = [
    {"id": "callback-show-a-item", "args": ["callback", "show", "{a_callback_item}", "-t", "{tenant_b}"], "code": 1},
    {"id": "callback-dial-a-item", "args": ["callback", "dial", "{a_callback_item}", "-t", "{tenant_b}", "--agent",
                                             "marie", "--manual", "--outcome", "cancelled"], "code": 1},
    {"id": "callback-list-b-only", "args": ["callback", "list", "-t", "{tenant_b}"],
     "check": lambda r, w: [x["request"] for x in _rows(r)] == [w["b_callback_request"]]},
    {"id": "callback-slots-count-b-seats-only", "args": ["callback", "slots", "--date", "{cb_day}", "-t", "{tenant_b}"],
     "check": lambda r, w: next(s for s in _rows(r) if s["start"] == w["cb_slot"])["booked"] == 1},
    {"id": "callback-request-with-a-key", "args": ["callback", "request", "-t", "{tenant_b}", "--phone",
                                                    "0611111111", "--slot", "{cb_slot}", "--key", "iso-key"],
     "check": lambda r, w: _rows(r)["request"] == w["b_callback_request"]},
]
