"""Hostile web input, on SQLite and PostgreSQL alike: characters no database can store (NUL, lone
surrogates) are a 400 before any work; random field values (control characters, huge, any script)
in every form are always a clean 2xx/3xx/4xx, never a 500."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.testclient import TestClient

from ccctl.db.models import WorkItem
from ccctl.web.app import create_web_app

TENANT = "voyages-lumiere"  # the example client enabling the contact form, callback and selfhelp
# Anything a browser can send in a form: every code point but surrogates (UTF-8 cannot carry them).
ANY_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=300)
FIELD_VALUE = st.one_of(ANY_TEXT, st.sampled_from(["", "\x00", "a\x00b", "\x1b]0;pwned\x07", "\u202e",
                                                   "x" * 70_000, "Zoé Ω 📞 +33 6 12 34 56 78"]))


def count(app, model) -> int:
    with app.session() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def client(app, example_tenants):
    with TestClient(create_web_app(app), raise_server_exceptions=False) as test_client:
        yield test_client


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


@pytest.mark.parametrize("field", ["name", "email", "message", "ref", "page", "submission_id"])
def test_nul_in_a_contact_form_field_is_400_and_stores_nothing(app, client, field):
    fields = hidden_fields(client.get(f"/t/{TENANT}/contact").text)
    data = {**fields, "name": "Jean", "email": "jean@example.org", "message": "Bonjour", field: "abc\x00def"}
    response = client.post(f"/t/{TENANT}/contact", data=data, follow_redirects=False)
    assert response.status_code == 400, response.text
    assert "NUL" in response.text and "Traceback" not in response.text
    assert count(app, WorkItem) == 0


def test_nul_anywhere_in_a_request_is_400(app, client):
    for url in (f"/t/{TENANT}/faq?q=rembours%00ement", f"/t/{TENANT}/faq/annuler%00", f"/t/{TENANT}/contact?page=%00",
                f"/t/{TENANT}/callback?page=a%00", f"/t/{TENANT}/callback?x%00=1"):
        response = client.get(url)
        assert response.status_code == 400, (url, response.status_code)
    fields = hidden_fields(client.get(f"/t/{TENANT}/callback").text)
    booked = client.post(f"/t/{TENANT}/callback", data={**fields, "phone": "0612345678", "name": "L\x00a", "when": "now"})
    assert booked.status_code == 400
    assert count(app, WorkItem) == 0


@pytest.mark.parametrize("body", [b'{"event": "a\\u0000b"}', b'{"ev\\u0000": 1}', b'["\\ud800"]', b'{"a": ["\\udfff"]}'])
def test_unstorable_json_is_400_before_the_route(demo_app, body):
    """JSON webhooks: a NUL or a lone surrogate anywhere in the document."""
    with TestClient(create_web_app(demo_app), raise_server_exceptions=False) as client:
        response = client.post("/t/with-demo/demo/twilio-json?bodySHA256=x", content=body,
                               headers={"Content-Type": "application/json", "X-Twilio-Signature": "x"})
    assert response.status_code == 400


def test_nul_in_a_signed_twilio_webhook_is_400_and_stores_nothing(demo_app):
    from twilio.request_validator import RequestValidator

    from ccctl.db.models import Interaction, SeenRequest

    from .demo_plugin import DEMO_TOKEN

    params = {"MessageSid": "SM1", "Body": "STOP\x00", "From": "+33612345678"}
    with TestClient(create_web_app(demo_app), raise_server_exceptions=False) as client:
        url = "http://testserver/t/with-demo/demo/twilio"
        signature = RequestValidator(DEMO_TOKEN).compute_signature(url, params)
        response = client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 400
    assert count(demo_app, Interaction) == 0 and count(demo_app, SeenRequest) == 0


def test_control_characters_that_can_be_stored_are_stored_exactly(app, client):
    """Only what no database can hold is refused: escape sequences are kept (terminals neutralise them)."""
    fields = hidden_fields(client.get(f"/t/{TENANT}/contact").text)
    message = "Bonjour\x1b]0;pwned\x07 \x01\x7f \u202e fin"
    response = client.post(f"/t/{TENANT}/contact", follow_redirects=False,
                           data={**fields, "name": "Jean", "email": "jean@example.org", "message": message})
    assert response.status_code == 303
    with app.session() as s:
        assert s.scalar(select(WorkItem.body)) == message


def assert_clean(response, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    assert "Traceback" not in response.text


@given(name=FIELD_VALUE, email=FIELD_VALUE, phone=FIELD_VALUE, message=FIELD_VALUE, ref=FIELD_VALUE,
       page=FIELD_VALUE, website=st.sampled_from(["", "x"]))
def test_contact_form_fuzz(client, name, email, phone, message, ref, page, website):
    fields = hidden_fields(client.get(f"/t/{TENANT}/contact").text)
    data = {**fields, "name": name, "email": email, "phone": phone, "message": message, "ref": ref, "page": page,
            "website": website}
    response = client.post(f"/t/{TENANT}/contact", data=data, follow_redirects=False)
    assert_clean(response, "contact form")
    assert response.status_code in (303, 400, 413)


@given(phone=FIELD_VALUE, name=FIELD_VALUE, reason=FIELD_VALUE, when=st.sampled_from(["now", "slot", "", "x"]),
       slot=st.one_of(FIELD_VALUE, st.sampled_from(["2026-12-08T09:00:00+00:00", "9999-12-31T23:59:59+14:00"])),
       title=FIELD_VALUE, ref=FIELD_VALUE)
def test_callback_form_fuzz(client, phone, name, reason, when, slot, title, ref):
    fields = hidden_fields(client.get(f"/t/{TENANT}/callback").text)
    data = {**fields, "phone": phone, "name": name, "reason": reason, "when": when, "slot": slot, "title": title,
            "ref": ref}
    response = client.post(f"/t/{TENANT}/callback", data=data)
    assert_clean(response, "callback form")
    assert response.status_code in (200, 400, 409, 413)


@given(query=FIELD_VALUE, slug=FIELD_VALUE, helpful=FIELD_VALUE)
def test_faq_pages_fuzz(client, query, slug, helpful):
    assert_clean(client.get(f"/t/{TENANT}/faq", params={"q": query[:2000]}), "faq search")  # URLs stay under 64 KB
    article = client.get(f"/t/{TENANT}/faq/annuler-reservation")
    token = re.search(r'name="csrf_token" value="([^"]+)"', article.text)
    vote = client.post(f"/t/{TENANT}/faq/annuler-reservation/vote", follow_redirects=False,
                       data={"csrf_token": token.group(1) if token else "", "helpful": helpful})
    assert_clean(vote, "faq vote")
    from urllib.parse import quote

    assert_clean(client.get(f"/t/{TENANT}/faq/" + quote(slug[:200], safe="")), "faq article")


@given(body=st.binary(max_size=400), content_type=st.sampled_from(
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/json", "text/plain"]))
def test_raw_bodies_to_every_form_are_never_a_500(client, body, content_type):
    """Bytes that are not UTF-8, broken multipart, anything: a 4xx, or the form's own answer."""
    for path in ("/contact", "/callback", "/faq/annuler-reservation/vote"):
        response = client.post(f"/t/{TENANT}{path}", content=body, headers={"Content-Type": content_type},
                               follow_redirects=False)
        assert_clean(response, path)


@given(query=st.text(st.sampled_from("ab é\x00\x01\x1b📞"), max_size=12))
def test_a_search_is_refused_exactly_when_it_holds_a_nul(client, query):
    """Property: 400 if and only if the text holds a NUL; any other text is searched (200)."""
    response = client.get(f"/t/{TENANT}/faq", params={"q": query})
    assert response.status_code == (400 if "\x00" in query else 200), repr(query)
