"""Helpers for the site plugin tests (tenants, events), importable as ``site_helpers``."""

from __future__ import annotations

import json

from sqlalchemy import select

KEY, OLD_KEY, OTHER_KEY, HOOK_KEY = "site-key-2026", "site-key-2025", "autre-key", "hook-key"


def tenant_yaml(slug: str, env_key: str, webhook_url: str | None = None, extra: str = "") -> str:
    hooks = (f"    webhooks:\n      - {{name: crm, url: '{webhook_url}', secret: '${{HOOK_KEY_{slug.upper()}}}', "
             f"timeout: 2, retry_backoff: 0}}\n") if webhook_url else ""
    return f"""tenant: {slug}
name: {slug.title()}
timezone: Europe/Paris
holidays: FR
queues:
  - name: ventes
  - name: grands-voyages
    priority: 20
routing:
  - name: gros-paniers
    match: {{attributes: {{amount: ">= 2000", destination: [asie, amerique-du-sud]}}}}
    queue: grands-voyages
plugins:
  site:
    enabled: true
    secrets: ["${{{env_key}}}", "${{{env_key}_OLD}}"]
{hooks}{extra}"""


def apply_tenants(ccctl, tmp_path, urls: dict[str, str | None] | None = None, extra: str = "") -> None:
    urls = urls or {}
    folder = tmp_path / "clients"
    folder.mkdir(exist_ok=True)
    for slug, key in (("voyages", "VOYAGES_KEY"), ("autre", "AUTRE_KEY")):
        (folder / f"{slug}.yaml").write_text(tenant_yaml(slug, key, urls.get(slug), extra))
    ccctl("tenant", "apply", "-f", str(folder))


def event(event_id: str = "evt-1", type: str = "pre_reservation", **data) -> dict:
    return {"id": event_id, "type": type, "occurred_at": "2026-12-06T10:15:00Z",
            "customer": {"email": "anna@example.fr", "name": "Anna Petit"},
            "data": {"product": "Circuit Japon", "amount": 2450, "destination": "asie", **data}}


def body_of(payload) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def make_items(app, slug: str, n: int) -> list[int]:
    from ccctl.db.models import Tenant
    from ccctl.queue.items import create_item

    with app.transaction() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        ctx = app.context(session, tenant)
        return [create_item(ctx, "web", subject=f"{slug} demande {i}", external_ref=f"{slug}-{i}")[0].id
                for i in range(n)]
