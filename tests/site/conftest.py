"""Site plugin tenants: 'voyages' (events API with two keys, webhooks to a loopback receiver) and 'autre'."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_helpers import HOOK_KEY, KEY, OLD_KEY, OTHER_KEY, apply_tenants, body_of  # noqa: E402


@pytest.fixture
def site_env(monkeypatch):
    monkeypatch.setenv("VOYAGES_KEY", KEY)
    monkeypatch.setenv("VOYAGES_KEY_OLD", OLD_KEY)
    monkeypatch.setenv("AUTRE_KEY", OTHER_KEY)
    monkeypatch.setenv("AUTRE_KEY_OLD", "autre-old")
    monkeypatch.setenv("HOOK_KEY_VOYAGES", HOOK_KEY)
    monkeypatch.setenv("HOOK_KEY_AUTRE", "autre-hook-key")


@pytest.fixture
def tenants(ccctl, tmp_path, site_env):
    apply_tenants(ccctl, tmp_path)
    return ccctl


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
