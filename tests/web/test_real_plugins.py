"""The built-in plugins' routes, served by the real `ccctl serve`: absent (404) for a tenant that
does not enable the plugin; Twilio routes of a tenant that does refuse forged requests (403)."""

from __future__ import annotations

import html
import re

import httpx
from twilio.request_validator import RequestValidator

from ccctl.plugins import get_plugin_manager
from ccctl.web.routes import plugin_routes

NO_PLUGINS = "tenant: no-plugins\nname: No Plugins\nqueues: [{name: general}]\n"


def concrete(path: str) -> str:
    """/callback/twilio/status/{attempt_id:int} → /callback/twilio/status/1"""
    return re.sub(r"\{[^}:]+:int\}", "1", re.sub(r"\{[^}:]+\}", "x", path))


def test_every_plugin_route_is_404_for_a_tenant_without_the_plugin(example_tenants, live_server, tmp_path):
    (tmp_path / "no-plugins.yaml").write_text(NO_PLUGINS)
    example_tenants("tenant", "apply", "-f", str(tmp_path / "no-plugins.yaml"))
    routes = plugin_routes(get_plugin_manager())
    assert routes, "the built-in plugins register routes"
    with httpx.Client(base_url=live_server) as client:
        for route in routes:
            for method in route.methods:
                response = client.request(method, "/t/no-plugins" + concrete(route.path))
                assert response.status_code == 404, (route, method, response.text)
                assert f"does not enable plugin '{route.plugin}'" in html.unescape(response.text)


def test_sms_webhooks_refuse_forged_requests(example_tenants, live_server):
    routes = [r for r in plugin_routes(get_plugin_manager()) if r.plugin == "sms"]
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "From": "+33612345678", "Body": "STOP"}
    with httpx.Client(base_url=live_server) as client:
        for route in routes:
            url = f"{live_server}/t/voyages-lumiere{route.path}"
            forged = RequestValidator("not-the-auth-token").compute_signature(url, params)
            assert client.post(url, data=params).status_code == 403
            assert client.post(url, data=params, headers={"X-Twilio-Signature": forged}).status_code == 403
