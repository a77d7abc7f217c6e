"""Retention reaches the outbound webhook events (kind webhook_events) of the tenant that asks, only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from ccctl.db.models import Tenant, utcnow
from ccctl_site.models import WebhookEvent
from site_helpers import make_items, tenant_yaml


def count(app, slug: str) -> int:
    with app.session() as s:
        return s.scalar(select(func.count()).select_from(WebhookEvent).join(Tenant, Tenant.id == WebhookEvent.tenant_id)
                        .where(Tenant.slug == slug))


def test_old_outbound_events_go_after_their_period(app, ccctl, tmp_path, site_env):
    (tmp_path / "voyages.yaml").write_text(tenant_yaml("voyages", "VOYAGES_KEY", "http://127.0.0.1:9/x",
                                                       "retention:\n  webhook_events: 30d\n"))
    (tmp_path / "autre.yaml").write_text(tenant_yaml("autre", "AUTRE_KEY", "http://127.0.0.1:9/y"))
    ccctl("tenant", "apply", "-f", str(tmp_path / "voyages.yaml"), "-f", str(tmp_path / "autre.yaml"))
    make_items(app, "voyages", 3)
    make_items(app, "autre", 2)
    with app.transaction() as s:  # two events of each tenant are 40 days old; only voyages sets a period
        old = utcnow() - timedelta(days=40)
        s.execute(update(WebhookEvent).where(WebhookEvent.id.in_([1, 2, 4, 5])).values(created_at=old))
    dry = ccctl.json("retention", "apply", "--all-tenants", "--dry-run")
    assert [(r["tenant"], r["rows"]) for r in dry if r["kind"] == "webhook_events"] == [("voyages", 2)]
    assert (count(app, "voyages"), count(app, "autre")) == (3, 2)
    ccctl("retention", "apply", "--all-tenants")
    assert (count(app, "voyages"), count(app, "autre")) == (1, 2)
