"""The contact form over real HTTP (uvicorn on 127.0.0.1): good input queues one item, bad input
re-shows the form with errors and stores nothing; CSRF, size and tenant checks."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy import func, select

from ccctl.db.models import Customer, WorkItem
from ccctl.web.app import create_web_app
from ccctl.web.settings import WebSettings

TENANT = "voyages-lumiere"
GOOD = {"name": "Jean Dupont", "email": "jean.dupont@example.org", "phone": "", "message": "Rappelez-moi svp"}


class Visitor:
    """A browser-like client: loads the form (cookie + token), then posts it."""

    def __init__(self, base: str, tenant: str = TENANT) -> None:
        self.client = httpx.Client(base_url=base)
        self.path = f"/t/{tenant}/contact"
        self.token = self.submission = ""

    def load(self, query: str = "") -> httpx.Response:
        response = self.client.get(self.path + query)
        assert response.status_code == 200, response.text
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)
        self.submission = re.search(r'name="submission_id" value="([^"]+)"', response.text).group(1)
        return response

    def post(self, fields: dict, **extra) -> httpx.Response:
        data = {"csrf_token": self.token, "submission_id": self.submission, **fields, **extra}
        return self.client.post(self.path, data=data)


def errors_in(response: httpx.Response) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'<p class="error" id="(\w+)-error">([^<]+)</p>', response.text)}


def count(app, model) -> int:
    with app.session() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def base(app, example_tenants):
    from support.live_server import threaded_server

    with threaded_server(create_web_app(app)) as url:
        yield url


@pytest.fixture
def visitor(base):
    v = Visitor(base)
    v.load()
    return v


def test_good_submission_queues_one_item_even_when_sent_twice(app, visitor):
    first = visitor.post(GOOD)
    assert first.status_code == 303 and first.headers["location"] == f"/t/{TENANT}/contact/thanks"
    again = visitor.post(GOOD)  # double click or browser retry: same submission id
    assert again.status_code == 303
    assert count(app, WorkItem) == 1 and count(app, Customer) == 1
    with app.session() as s:
        item = s.scalar(select(WorkItem))
        assert (item.channel, item.subject, item.body) == ("web", "Information request from Jean Dupont",
                                                           "Rappelez-moi svp")


def test_known_customer_is_reused_and_gets_the_new_phone(app, visitor):
    visitor.post(GOOD)
    visitor.load()
    visitor.post({**GOOD, "phone": "+33 6 12 34 56 78", "message": "Encore moi"})
    assert count(app, WorkItem) == 2 and count(app, Customer) == 1
    with app.session() as s:
        customer = s.scalar(select(Customer))
        assert {c.value for c in customer.contacts} == {"jean.dupont@example.org", "+33612345678"}


# The example tenant's locale is fr_FR: its visitors read French (catalogue ccctl/locale/fr).
@pytest.mark.parametrize("fields, expected", [
    ({"name": ""}, {"name": "Veuillez indiquer votre nom."}),
    ({"message": "   "}, {"message": "Veuillez écrire votre message."}),
    ({"email": "", "phone": ""}, {"email": "Veuillez indiquer une adresse e-mail ou un numéro de téléphone."}),
    ({"email": "jean@", "phone": ""}, {"email": "Cette adresse e-mail n'est pas valide."}),
    ({"email": "", "phone": "12"}, {"phone": "Ce numéro de téléphone n'est pas valide."}),
    ({"phone": "call me maybe"}, {"phone": "Ce numéro de téléphone n'est pas valide."}),
    ({"message": "x" * 5001}, {"message": "Votre message doit faire au plus 5000 caractères."}),
    ({"name": "n" * 201}, {"name": "Votre nom doit faire au plus 200 caractères."}),
])
def test_bad_input_reshows_form_with_errors_and_stores_nothing(app, visitor, fields, expected):
    response = visitor.post({**GOOD, **fields})
    assert response.status_code == 400
    assert errors_in(response) == expected
    assert 'value="Jean Dupont"' in response.text or "name" in expected  # typed values kept
    assert count(app, WorkItem) == 0 and count(app, Customer) == 0


def test_missing_fields_entirely(app, visitor):
    response = visitor.post({})
    assert response.status_code == 400
    assert set(errors_in(response)) == {"name", "email", "message"}
    assert count(app, WorkItem) == 0


def test_missing_csrf_token_is_403_and_stores_nothing(app, visitor):
    visitor.token = ""
    response = visitor.post(GOOD)
    assert response.status_code == 403
    assert "Votre session a expiré" in response.text  # fr_FR tenant
    assert count(app, WorkItem) == 0


def test_embedded_form_without_cookie_offers_its_own_window(app, base):
    response = httpx.post(base + f"/t/{TENANT}/contact", data={**GOOD, "embed": "1", "csrf_token": "x"})
    assert response.status_code == 403
    assert f'<a href="/t/{TENANT}/contact" target="_blank" rel="noopener">' in response.text
    assert "ccctl_csrf=" in response.headers["set-cookie"]  # a fresh cookie to try again with
    assert count(app, WorkItem) == 0


def test_token_from_another_visitor_is_403(app, base, visitor):
    stranger = Visitor(base)
    stranger.load()
    visitor.token = stranger.token  # a token without its matching cookie (a forged cross-site post)
    assert visitor.post(GOOD).status_code == 403
    assert count(app, WorkItem) == 0


def test_post_without_cookie_is_403(app, base, visitor):
    response = httpx.post(base + f"/t/{TENANT}/contact",
                          data={**GOOD, "csrf_token": visitor.token, "submission_id": visitor.submission})
    assert response.status_code == 403
    assert count(app, WorkItem) == 0


def test_token_of_another_tenant_is_403(app, base):
    other = Visitor(base, "assurance-horizon")
    other.load()
    other.path = f"/t/{TENANT}/contact"  # same cookie value cannot be sent (cookie path), so copy it
    cookie = other.client.cookies.get("ccctl_csrf")
    other.client.cookies.set("ccctl_csrf", cookie, path=f"/t/{TENANT}/")
    assert other.post(GOOD).status_code == 403
    assert count(app, WorkItem) == 0


def test_honeypot_pretends_success_and_stores_nothing(app, visitor):
    response = visitor.post(GOOD, website="http://spam.example")
    assert response.status_code == 303
    assert count(app, WorkItem) == 0


def test_oversize_body_is_413(app, base, visitor):
    big = visitor.post({**GOOD, "message": "x" * 70_000})
    assert big.status_code == 413
    streamed = visitor.client.post(f"/t/{TENANT}/contact", content=(b"a=" + b"x" * 8192 for _ in range(10)),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413  # no Content-Length: counted while reading
    assert count(app, WorkItem) == 0


def test_unknown_tenant_is_404(base):
    for path in ("/t/nobody/contact", "/t/nobody/embed.js", "/t/nobody/contact/thanks"):
        assert httpx.get(base + path).status_code == 404
    assert httpx.post(base + "/t/nobody/contact", data=GOOD).status_code == 404


def test_bad_referral_codes_are_ignored(app, base):
    v = Visitor(base)
    response = v.load("?ref=%3Cscript%3E")
    assert "ccctl_ref" not in response.headers.get("set-cookie", "")
    v.post(GOOD)
    with app.session() as s:
        assert s.scalar(select(WorkItem)).attributes["referral_code"] is None


def test_embed_page_may_be_framed_and_plain_page_may_not(base):
    plain = httpx.get(base + f"/t/{TENANT}/contact")
    assert plain.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
    embed = httpx.get(base + f"/t/{TENANT}/contact?embed=1")
    assert "x-frame-options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert 'name="embed" value="1"' in embed.text


def test_embed_script(base):
    response = httpx.get(base + f"/t/{TENANT}/embed.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert f'tenant = "{TENANT}";' in response.text
    assert "new URL(script.src).origin" in response.text  # not the Host header, which a client picks


def test_cookies_over_https_work_in_a_cross_site_iframe(app, example_tenants):
    from support.live_server import threaded_server

    with threaded_server(create_web_app(app, WebSettings(public_url="https://cc.example.com"))) as url:
        response = httpx.get(url + f"/t/{TENANT}/contact?ref=ABC")
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 2
    for cookie in cookies:
        assert "Secure" in cookie and "SameSite=none" in cookie and "Partitioned" in cookie
        assert f"Path=/t/{TENANT}/" in cookie and "HttpOnly" in cookie


def test_health(base):
    assert httpx.get(base + "/health").json() == {"status": "ok"}
