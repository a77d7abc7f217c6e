"""The call-back web form: only open slots offered, requests stored with their page context, clear errors."""

from __future__ import annotations

import re

import pytest
from callback_helpers import slot_utc, tomorrow
from sqlalchemy import select
from starlette.testclient import TestClient

from ccctl.web.app import create_web_app
from ccctl_callback.models import CallbackRequest


@pytest.fixture
def client(cb, app):
    with TestClient(create_web_app(app)) as test_client:
        yield test_client


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def offered(html: str) -> set[str]:
    return set(re.findall(r'<option value="([^"]+)"', html))


def test_form_offers_only_open_slots_and_keeps_the_page_context(cb, client, app):
    full_slot = tomorrow(9, 0)
    for phone in ("0612345601", "0612345602"):
        cb("callback", "request", "-t", "rappel", "--phone", phone, "--slot", full_slot)
    page = client.get("/t/rappel/callback", params={"page": "https://voyages.example/rome", "ref": "AMI7"})
    assert page.status_code == 200
    choices = offered(page.text)
    assert slot_utc(full_slot).isoformat() not in choices
    wanted = slot_utc(tomorrow(9, 30)).isoformat()
    assert wanted in choices
    fields = form_fields(page.text)
    assert fields["page"] == "https://voyages.example/rome" and fields["ref"] == "AMI7"
    done = client.post("/t/rappel/callback", data={**fields, "phone": "06 98 76 54 32", "name": "Léa",
                                                   "reason": "Devis Rome", "when": "slot", "slot": wanted})
    assert done.status_code == 200 and "Demande enregistrée" in done.text
    again = client.post("/t/rappel/callback", data={**fields, "phone": "06 98 76 54 32", "name": "Léa",
                                                    "reason": "Devis Rome", "when": "slot", "slot": wanted})
    assert again.status_code == 200  # a double submit: same key, same request
    with app.session() as s:
        rows = s.scalars(select(CallbackRequest).where(CallbackRequest.phone == "+33698765432")).all()
    assert len(rows) == 1
    assert rows[0].source == "web" and rows[0].referral_code == "AMI7" and rows[0].consent
    assert rows[0].context == {"page": "https://voyages.example/rome", "via": "web form"}
    assert rows[0].slot_start == slot_utc(tomorrow(9, 30))


def test_form_errors_are_shown_on_the_form(cb, client):
    full_slot = slot_utc(tomorrow(14, 0)).isoformat()
    for phone in ("0612345601", "0612345602"):
        cb("callback", "request", "-t", "rappel", "--phone", phone, "--slot", tomorrow(14, 0))
    fields = form_fields(client.get("/t/rappel/callback").text)
    bad_phone = client.post("/t/rappel/callback", data={**fields, "phone": "12", "when": "now"})
    # The tenant's locale is fr_FR: the visitor reads French (ccctl_callback/locale/fr).
    assert bad_phone.status_code == 400 and "Ce numéro de téléphone n&#39;est pas valide." in bad_phone.text
    assert 'value="12"' in bad_phone.text  # what the visitor typed is kept
    full = client.post("/t/rappel/callback", data={**fields, "phone": "0612345678", "when": "slot",
                                                   "slot": full_slot})
    assert full.status_code == 409 and "est complet (2 rappels)" in full.text
    no_slot = client.post("/t/rappel/callback", data={**fields, "phone": "0612345678", "when": "slot"})
    assert no_slot.status_code == 400 and "Veuillez choisir un créneau." in no_slot.text
    forged = client.post("/t/rappel/callback", data={**fields, "csrf_token": "abc", "phone": "0612345678",
                                                     "when": "now"})
    assert forged.status_code == 403 and "session a expiré" in forged.text
    assert 'value="0612345678"' in forged.text  # typed values kept for the retry


def booked(app) -> list[CallbackRequest]:
    with app.session() as s:
        return list(s.scalars(select(CallbackRequest)))


def sms_queued(app) -> int:
    from sqlalchemy import func

    from ccctl_sms.models import SmsMessage

    with app.session() as s:
        return s.scalar(select(func.count()).select_from(SmsMessage))


def test_a_cookieless_cross_site_post_books_nothing_and_queues_no_sms(cb, app):
    """The SMS-pumping vector: another site's page posting the form for any number it likes."""
    import httpx

    from support.live_server import threaded_server

    slot = slot_utc(tomorrow(11, 0)).isoformat()
    with threaded_server(create_web_app(app)) as base:
        page = httpx.get(f"{base}/t/rappel/callback")
        fields = form_fields(page.text)  # even a token copied from a real page: no cookie, no booking
        for data in ({"phone": "0612345678", "when": "slot", "slot": slot},
                     {**fields, "phone": "0612345678", "when": "slot", "slot": slot}):
            forged = httpx.post(f"{base}/t/rappel/callback", data=data,
                                headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"})
            assert forged.status_code == 403
            assert forged.headers["x-frame-options"] == "DENY"
    assert booked(app) == [] and sms_queued(app) == 0
    # The same post with the page's cookie books, and confirms by SMS.
    with threaded_server(create_web_app(app)) as base, httpx.Client(base_url=base) as visitor:
        fields = form_fields(visitor.get("/t/rappel/callback").text)
        done = visitor.post("/t/rappel/callback", data={**fields, "phone": "0612345678", "when": "slot", "slot": slot})
        assert done.status_code == 200, done.text
    assert len(booked(app)) == 1 and sms_queued(app) == 1


def test_a_submission_id_of_another_visitor_does_not_reach_their_booking(cb, app, client):
    fields = form_fields(client.get("/t/rappel/callback").text)
    data = {**fields, "phone": "06 98 76 54 32", "name": "Léa Secrète", "when": "slot",
            "slot": slot_utc(tomorrow(12, 0)).isoformat()}
    assert client.post("/t/rappel/callback", data=data).status_code == 200
    with TestClient(create_web_app(app)) as stranger:
        theirs = form_fields(stranger.get("/t/rappel/callback").text)
        answer = stranger.post("/t/rappel/callback", data={**data, "csrf_token": theirs["csrf_token"],
                                                           "phone": "0612345678", "name": "Autre"})
    assert answer.status_code == 200 and "Léa Secrète" not in answer.text and "98765432" not in answer.text
    assert "+33612345678" in answer.text  # their own booking
    assert len(booked(app)) == 2


def test_form_pages_carry_the_page_kit_headers(cb, client):
    page = client.get("/t/rappel/callback")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    nonce = re.search(r"style-src 'nonce-([^']+)'", csp).group(1)
    assert f'<style nonce="{nonce}">' in page.text
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert "ccctl_csrf=" in page.headers["set-cookie"]


def test_form_is_404_for_a_tenant_without_callback(example_tenants, app):
    with TestClient(create_web_app(app)) as test_client:
        assert test_client.get("/t/assurance-horizon/callback").status_code == 404
        assert test_client.get("/t/voyages-lumiere/callback").status_code == 200
