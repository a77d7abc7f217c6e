"""Site plugin tenants: 'voyages' (events API with two keys, webhooks to a loopback receiver) and 'autre'."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

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


@pytest.fixture
def site_env(monkeypatch):
    monkeypatch.setenv("VOYAGES_KEY", KEY)
    monkeypatch.setenv("VOYAGES_KEY_OLD", OLD_KEY)
    monkeypatch.setenv("AUTRE_KEY", OTHER_KEY)
    monkeypatch.setenv("AUTRE_KEY_OLD", "autre-old")
    monkeypatch.setenv("HOOK_KEY_VOYAGES", HOOK_KEY)
    monkeypatch.setenv("HOOK_KEY_AUTRE", "autre-hook-key")


def apply_tenants(ccctl, tmp_path, urls: dict[str, str | None] | None = None, extra: str = "") -> None:
    urls = urls or {}
    folder = tmp_path / "clients"
    folder.mkdir(exist_ok=True)
    for slug, key in (("voyages", "VOYAGES_KEY"), ("autre", "AUTRE_KEY")):
        (folder / f"{slug}.yaml").write_text(tenant_yaml(slug, key, urls.get(slug), extra))
    ccctl("tenant", "apply", "-f", str(folder))


@pytest.fixture
def tenants(ccctl, tmp_path, site_env):
    apply_tenants(ccctl, tmp_path)
    return ccctl


def event(event_id: str = "evt-1", type: str = "pre_reservation", **data) -> dict:
    return {"id": event_id, "type": type, "occurred_at": "2026-12-06T10:15:00Z",
            "customer": {"email": "anna@example.fr", "name": "Anna Petit"},
            "data": {"product": "Circuit Japon", "amount": 2450, "destination": "asie", **data}}


def body_of(payload) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


@pytest.fixture
def post(app, tenants):
    """post(payload, tenant=..., key=..., timestamp=..., headers=...) → httpx.Response from a live server."""
    from support.live_server import threaded_server

    from ccctl.web.app import create_web_app
    from ccctl_site.signing import HEADER, sign

    with threaded_server(create_web_app(app)) as base, httpx.Client(base_url=base, timeout=10) as client:
        def send(payload, tenant="voyages", key=KEY, timestamp=None, headers=None):
            body = body_of(payload)
            sent = {"Content-Type": "application/json", HEADER: sign(key, body, timestamp), **(headers or {})}
            return client.post(f"/t/{tenant}/api/events", content=body, headers=sent)
        yield send
