"""Site plugin cases for the tenant isolation harness (tests/core/test_isolation.py): outbound events,
their delivery log, and site context on `customer show`."""

from __future__ import annotations

import json


def populate(app, session, tenant, side, world):
    """An outbound event with one delivery attempt, and a site event in the customer's history, each side."""
    from ccctl.customers import record_interaction
    from ccctl_site.models import WebhookAttempt, WebhookEvent

    mark = side.upper()
    event = WebhookEvent(tenant_id=tenant.id, event_id=f"{side}-0000-event", webhook="crm", event_type="item.created",
                         state="failed", payload={"data": {"subject": f"{mark}-RESA-001"}})
    session.add(event)
    session.flush()
    session.add(WebhookAttempt(tenant_id=tenant.id, outbox_id=event.id, status=500, error=f"{mark}-ONLY down"))
    record_interaction(session, tenant, "site", customer_id=world[f"{side}_customer"], summary="pre_reservation",
                       external_id="event:shared-id",
                       payload={"type": "pre_reservation", "data": {"product": f"{mark}-ONLY Japon"}})
    world[f"{side}_webhook_event"] = event.event_id


def _rows(result):
    return json.loads(result.stdout)


CASES = [
    {"id": "webhooks-list-b-only", "args": ["webhooks", "list", "-t", "{tenant_b}"],
     "check": lambda r, w: [x["event_id"] for x in _rows(r)] == [w["b_webhook_event"]]},
    {"id": "webhooks-log-of-a-event", "args": ["webhooks", "log", "{a_webhook_event}", "-t", "{tenant_b}"],
     "check": lambda r, w: _rows(r) == []},
    {"id": "webhooks-log-b-only", "args": ["webhooks", "log", "-t", "{tenant_b}"],
     "check": lambda r, w: [x["event_id"] for x in _rows(r)] == [w["b_webhook_event"]]},
    {"id": "webhooks-replay-a-event", "args": ["webhooks", "replay", "{a_webhook_event}", "-t", "{tenant_b}"],
     "code": 2},
    {"id": "webhooks-retry-a-event", "args": ["webhooks", "retry", "{a_webhook_event}", "-t", "{tenant_b}"],
     "code": 2},
    {"id": "webhooks-retry-all-failed-b-only", "args": ["webhooks", "retry", "--all-failed", "-t", "{tenant_b}"],
     "check": lambda r, w: [x["event_id"] for x in _rows(r)] == [w["b_webhook_event"]]},
    {"id": "site-context-b-only", "args": ["customer", "show", "{b_customer}", "-t", "{tenant_b}"],
     "check": lambda r, w: [c["detail"] for c in _rows(r)["context"]] == ["B-ONLY Japon"]},
]
