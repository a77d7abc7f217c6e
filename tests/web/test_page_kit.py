"""The page kit: every route of every plugin (taken from the route registry, not a list) answers with
the security headers; plugin errors are clean pages, logged; a plugin page gets core's CSRF."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import httpx
import pytest

from ccctl.plugins import get_plugin_manager
from ccctl.web.app import create_web_app, tenant_routes

from .demo_plugin import DemoPlugin

TENANT = "voyages-lumiere"  # the example client enabling most built-in plugins with routes
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "clients"


def concrete(path: str) -> str:
    """/faq/{slug} → /faq/x, /callback/twilio/status/{attempt_id:int} → .../1"""
    return re.sub(r"\{[^}:]+:int\}", "1", re.sub(r"\{[^}:]+\}", "x", path))


def assert_hardened(response: httpx.Response, what: str) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "base-uri 'none'" in csp, (what, csp)
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "same-origin", what
    if "frame-ancestors *" not in csp:  # only the contact form's embed version may be framed
        assert "frame-ancestors 'none'" in csp and headers.get("x-frame-options") == "DENY", (what, csp)
    if headers.get("content-type", "").startswith("text/html") and "script-src" in csp:
        assert "<script>" not in response.text, what  # inline code only with the response's nonce
    for nonce in re.findall(r'nonce="([^"]+)"', response.text):
        assert f"'nonce-{nonce}'" in csp, what


# The least a plugin's YAML section needs besides `enabled: true` (for a plugin voyages-lumiere lacks).
MINIMAL_SECTIONS = {"voice": {"numbers": ["+33180000009"]}}


@pytest.fixture
def every_plugin(example_tenants, db_url, tmp_path, monkeypatch):
    """The real plugins plus the demo one, served; (base URL, routes from the registry, plugin → tenant)
    where each plugin's tenant enables it: voyages-lumiere, else a tenant made for that plugin."""
    import yaml
    from support.live_server import threaded_server

    from ccctl.context import App

    from .demo_plugin import TENANTS

    # The default secret reference of Twilio plugins: set, so their routes check signatures (403), not config.
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "route-test-token")
    pm = get_plugin_manager(extra=[("demo", DemoPlugin())])
    routes = tenant_routes(pm)
    lumiere = yaml.safe_load((EXAMPLES / f"{TENANT}.yaml").read_text(encoding="utf-8"))
    tenants = {"demo": "with-demo"}
    files = {"with-demo": TENANTS["with-demo"]}
    for plugin in {p for *_rest, p in routes if p and p != "demo"}:
        if ((lumiere.get("plugins") or {}).get(plugin) or {}).get("enabled"):
            tenants[plugin] = TENANT
            continue
        tenants[plugin] = slug = f"routes-{plugin}"
        section = {"enabled": True, **MINIMAL_SECTIONS.get(plugin, {})}
        files[slug] = yaml.safe_dump({"tenant": slug, "name": slug, "queues": [{"name": "general"}],
                                      "plugins": {plugin: section}})
    folder = tmp_path / "route-tenants"
    folder.mkdir()
    for slug, text in files.items():
        (folder / f"{slug}.yaml").write_text(text, encoding="utf-8")
    # A plugin whose section needs more than `enabled: true` fails here by name: add it to MINIMAL_SECTIONS.
    type(example_tenants)(db_url, pm)("tenant", "apply", "-f", str(folder))
    app = App(pm, db_url)
    with threaded_server(create_web_app(app)) as base:
        yield base, routes, tenants
    app.engine.dispose()


def test_every_route_of_every_plugin_sends_the_security_headers(every_plugin):
    base, routes, tenants = every_plugin
    assert {"callback", "selfhelp", "sms", "demo"} <= set(tenants)
    html_pages = 0
    with httpx.Client(base_url=base) as client:
        for path, _endpoint, methods, _name, plugin in routes:
            tenant = tenants.get(plugin, TENANT)
            for method in methods:
                response = client.request(method, f"/t/{tenant}{concrete(path)}")
                what = f"{method} {path} ({plugin or 'core'}) → {response.status_code}"
                assert "does not enable plugin" not in response.text, what  # the route itself answered
                assert response.status_code < 500 or path == "/demo/broken", what
                assert_hardened(response, what)
                html_pages += response.headers.get("content-type", "").startswith("text/html")
    assert html_pages >= 8  # forms, FAQ, error pages: HTML was really checked, not only XML and JSON


@pytest.fixture
def demo(demo_app):
    from support.live_server import threaded_server

    with threaded_server(create_web_app(demo_app)) as base, httpx.Client(base_url=base) as client:
        yield client


def test_a_plugin_bug_is_a_clean_500_page_and_is_logged(demo, caplog):
    with caplog.at_level(logging.ERROR, logger="ccctl.web"):
        for method in ("GET", "POST"):
            response = demo.request(method, "/t/with-demo/demo/broken")
            assert response.status_code == 500
            assert response.headers["content-type"].startswith("text/html")
            assert "Traceback" not in response.text and "SELECT" not in response.text
            assert "lea@example.org" not in response.text
            error_id = re.search(r"\((?:error|erreur) ([0-9a-f]{8})\)", response.text).group(1)  # fr_FR tenant: French
            assert_hardened(response, "500 page")
            logged = [r for r in caplog.records if error_id in r.getMessage()]
            assert logged and "SELECT secret" in str(logged[0].exc_info[1])


def test_errors_answer_json_to_a_json_client(demo):
    response = demo.get("/t/with-demo/demo/broken", headers={"Accept": "application/json"})
    assert response.status_code == 500 and set(response.json()) == {"error"}
    assert "SELECT" not in response.text


def test_bad_input_from_a_core_helper_is_a_400_with_its_message(demo):
    response = demo.get("/t/with-demo/demo/bad-input")
    assert response.status_code == 400
    assert "the date must look like 2026-01-31" in html.unescape(response.text)


def test_not_found_and_wrong_method_are_the_same_pages(demo):
    for response in (demo.get("/nowhere"), demo.get("/t/nobody/demo/hello"), demo.post("/t/with-demo/demo/hello")):
        assert response.status_code in (404, 405)
        assert '<h1 id="error-title">' in response.text
        assert_hardened(response, str(response.url))
    assert "GET" in demo.post("/t/with-demo/demo/hello").headers["allow"]  # the exception's headers are kept


def test_a_page_made_without_the_kit_gets_the_default_headers(demo):
    response = demo.get("/t/with-demo/demo/raw-html")
    assert response.text.startswith("<p>raw</p>")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in response.headers["content-security-policy"]  # so its inline script cannot run
    assert response.headers["x-frame-options"] == "DENY"


def test_a_plugin_page_gets_core_base_template_nonce_and_csrf(demo):
    page = demo.get("/t/with-demo/demo/kit-page")
    assert page.status_code == 200 and '<h1 id="who">demo</h1>' in page.text
    assert_hardened(page, "kit page")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    cookie = demo.cookies.get("ccctl_csrf")
    assert cookie and len(token) == 64
    assert "Path=/t/with-demo/" in page.headers["set-cookie"]
    again = demo.get("/t/with-demo/demo/kit-page")  # the cookie is kept: the same token, no new cookie
    assert "set-cookie" not in again.headers
    assert re.search(r'name="csrf_token" value="([^"]+)"', again.text).group(1) == token


def test_pages_without_a_form_set_no_cookie(example_tenants, app):
    """The FAQ index has no form: visitors get no cookie (selfhelp stores nothing about them)."""
    from starlette.testclient import TestClient

    with TestClient(create_web_app(app)) as client:
        response = client.get(f"/t/{TENANT}/faq")
        assert response.status_code == 200 and "set-cookie" not in response.headers


def test_embed_script_holds_tenant_data_only_as_json(app, ccctl, tmp_path):
    """A tenant name closing a comment or a string, or a script tag, is inert data in embed.js."""
    import json

    from starlette.testclient import TestClient

    name = "Evil */ window.pwned = 1; /* \" + alert(2) + \" \u2028 </script><script>alert(3)</script>"
    (tmp_path / "evil.yaml").write_text(
        "tenant: evil\nname: " + json.dumps(name) + "\nqueues: [{name: general}]\n", encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(tmp_path / "evil.yaml"))
    with TestClient(create_web_app(app)) as client:
        script = client.get("/t/evil/embed.js").text
    literal = re.search(r'frame\.title = (.+);\n', script).group(1)
    assert json.loads(literal) == "Contacter " + name  # exactly the name (fr_FR tenant), as one JSON string
    assert "</script>" not in literal and "<" not in literal
    assert "pwned" not in script.replace(literal, "")  # nowhere else: not in a comment, not as code
