"""Fulfilment cases for the tenant isolation harness (tests/core/test_isolation.py)."""

from __future__ import annotations

import csv
import io
import json


def populate(app, session, tenant, side, world):
    """A postal request waiting for the print house on each side; only A's address carries A's marker."""
    from ccctl_fulfil.models import FulfilRequest

    row = FulfilRequest(tenant_id=tenant.id, customer_id=world[f"{side}_customer"], item_id=world[f"{side}_item"],
                        document="japon", language="fr", method="post", state="batched",
                        recipient={"name": "Élodie Martin", "address": f"{side.upper()}-ONLY 3 rue des Lilas",
                                   "postcode": "69003", "city": "Lyon"})
    session.add(row)
    session.flush()
    world[f"{side}_fulfil"] = row.id
    if side == "b":  # an agent of B only, for `item close --send`
        from ccctl.queue.agents import add_agent

        add_agent(session, "iso-fulfil-agent", skills=[], serves=[tenant.slug])


def _today():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d")


CASES = [
    {"id": "fulfil-list-b-only", "args": ["fulfil", "list", "-t", "{tenant_b}"],
     "check": lambda r, w: [x["id"] for x in json.loads(r.stdout)] == [w["b_fulfil"]]},
    {"id": "fulfil-export-b-only", "args": ["fulfil", "export", "--date", _today(), "-t", "{tenant_b}"],
     "check": lambda r, w: [x["requests"] for x in csv.DictReader(io.StringIO(r.stdout))] == [str(w["b_fulfil"])]},
    {"id": "item-close-send-to-a-item", "args": ["item", "close", "{a_item}", "--outcome", "info-sent", "--send",
                                                  "brochure:japon", "--agent", "iso-fulfil-agent", "-t", "{tenant_b}"],
     "code": 1},
]
