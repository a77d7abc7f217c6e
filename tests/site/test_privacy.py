"""Export, erase and merge reach the site plugin's outbound events (and core handles the site events)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from ccctl_site.models import WebhookAttempt, WebhookEvent
from site_helpers import apply_tenants, event


def test_export_erase_and_merge_reach_outbound_events(app, post, tenants, tmp_path):
    apply_tenants(tenants, tmp_path, {"voyages": "http://127.0.0.1:9/unused"})
    anna = post(event("pr-1")).json()["customer"]
    other = post({**event("pr-2"), "customer": {"email": "bob@example.fr", "name": "Bob"}}).json()["customer"]
    tenants("webhooks", "deliver", "-t", "voyages", code=1)  # nobody listens: a logged attempt each
    exported = json.loads(tenants("customer", "export", str(anna), "-t", "voyages").stdout)
    [sent] = exported["customer"]["plugins"]["site"]["webhook_events"]
    assert sent["type"] == "item.created" and sent["payload"]["data"]["customer"] == anna

    tenants("customer", "merge", str(other), str(anna), "-t", "voyages")
    with app.session() as s:
        assert set(s.scalars(select(WebhookEvent.customer_id))) == {anna}

    tenants("customer", "erase", str(anna), "--yes", "-t", "voyages")
    with app.session() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEvent)) == 0
        assert s.scalar(select(func.count()).select_from(WebhookAttempt)) == 0
    assert "Circuit Japon" not in tenants("webhooks", "list", "-t", "voyages").stdout
