"""Plugin routes are served under /t/<tenant>/ only for tenants that enable the plugin."""

from __future__ import annotations

import html

import pytest
from starlette.responses import PlainTextResponse
import httpx

from ccctl.hookspecs import hookimpl
from ccctl.plugins import get_plugin_manager
from ccctl.web.app import create_web_app
from ccctl.web.routes import plugin_routes

from .demo_plugin import DemoPlugin


@pytest.fixture
def client(demo_app):
    from support.live_server import threaded_server

    with threaded_server(create_web_app(demo_app)) as base, httpx.Client(base_url=base) as c:
        yield c


def test_route_served_for_tenant_enabling_plugin(client):
    response = client.get("/t/with-demo/demo/hello")
    assert response.status_code == 200
    assert response.text == "hello from with-demo"


def test_async_route_with_path_param(client):
    assert client.get("/t/with-demo/demo/async/bonjour").json() == {"tenant": "with-demo", "word": "BONJOUR"}


def test_route_is_404_for_tenant_not_enabling_plugin(client):
    response = client.get("/t/without-demo/demo/hello")
    assert response.status_code == 404
    assert "does not enable plugin 'demo'" in html.unescape(response.text)


def test_unknown_tenant_is_404(client):
    assert client.get("/t/nobody/demo/hello").status_code == 404


def test_wrong_method_is_405(client):
    assert client.post("/t/with-demo/demo/hello").status_code == 405


def test_owner_is_known_per_route(demo_pm):
    owners = {(r.plugin, r.path) for r in plugin_routes(demo_pm)}
    assert ("demo", "/demo/hello") in owners and ("demo", "/demo/twilio") in owners


class Clashing:
    @hookimpl
    def ccctl_register_routes(self, register):
        register("/demo/hello", lambda request: PlainTextResponse("mine"))


class BadPath:
    @hookimpl
    def ccctl_register_routes(self, register):
        register("demo/no-slash", lambda request: PlainTextResponse("x"))


def test_two_plugins_claiming_one_route_are_refused():
    pm = get_plugin_manager(extra=[("demo", DemoPlugin()), ("other", Clashing())])
    with pytest.raises(ValueError, match="registered by both plugin"):
        plugin_routes(pm)


def test_path_without_leading_slash_is_refused():
    pm = get_plugin_manager(extra=[("bad", BadPath())])
    with pytest.raises(ValueError, match="plugin bad: route path 'demo/no-slash' must start with '/'"):
        plugin_routes(pm)


class TakesCoreRoute:
    @hookimpl
    def ccctl_register_routes(self, register):
        register("/contact", lambda request: PlainTextResponse("mine"), methods=("POST",))


def test_a_plugin_cannot_take_a_core_route():
    from ccctl.web.app import tenant_routes

    pm = get_plugin_manager(extra=[("greedy", TakesCoreRoute())])
    with pytest.raises(ValueError, match="plugin greedy: route POST /contact is a core route"):
        tenant_routes(pm)


def test_serve_refuses_to_start_with_a_bad_plugin_route(db_url, ccctl):
    pm = get_plugin_manager(extra=[("bad", BadPath())])
    result = type(ccctl)(db_url, pm)("serve", "--port", "0", code=1)
    assert "plugin bad: route path 'demo/no-slash' must start with '/'" in result.output
    assert "--disable-plugin" in result.output
