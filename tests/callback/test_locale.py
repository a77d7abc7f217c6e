"""The call-back form speaks the tenant's language: French for fr_FR, English for en_GB (ccctl.i18n)."""

from __future__ import annotations

import re

import pytest
from callback_helpers import tomorrow, write_tenant
from starlette.testclient import TestClient

from ccctl.web.app import create_web_app


def apply_tenant(ccctl, tmp_path, slug: str, top: str) -> None:
    """A call-back tenant like 'rappel' with ``top`` (YAML lines) added at the top level, applied."""
    folder = tmp_path / slug
    folder.mkdir()
    path = write_tenant(folder, slug, name=slug.title())
    path.write_text(path.read_text().replace("timezone:", f"{top}\ntimezone:"))
    ccctl("tenant", "apply", "-f", str(folder))


@pytest.fixture
def client(cb, app, ccctl, tmp_path):
    apply_tenant(ccctl, tmp_path, "callme", "locale: en_GB")
    with TestClient(create_web_app(app)) as test_client:
        yield test_client


def fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


@pytest.mark.parametrize("slug, words", [
    ("rappel", {"lang": "fr", "title": "Être rappelé", "button": "Me rappeler", "error": "Veuillez choisir un créneau.",
                "day": "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche", "done": "Demande enregistrée",
                "when": "vous rappellera au +33612345678 le"}),
    ("callme", {"lang": "en", "title": "Get a call back", "button": "Call me back", "error": "Please choose a slot.",
                "day": "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday", "done": "Request received",
                "when": "will call you back on +33612345678 at"}),
])
def test_form_its_error_and_the_answer_in_the_tenants_language(client, slug, words):
    page = client.get(f"/t/{slug}/callback")
    assert f'<html lang="{words["lang"]}">' in page.text
    assert f"<h1>{words['title']}</h1>" in page.text and words["button"] in page.text
    assert re.search(f'<optgroup label="({words["day"]}) ', page.text)
    error = client.post(f"/t/{slug}/callback", data={**fields(page.text), "phone": "+33612345678", "when": "slot"})
    assert error.status_code == 400 and words["error"] in error.text
    done = client.post(f"/t/{slug}/callback", data={**fields(page.text), "phone": "+33612345678", "when": "slot",
                                                    "slot": tomorrow(11, 0)})
    assert done.status_code == 200 and words["done"] in done.text and words["when"] in done.text
    assert re.search(f'<strong id="when">({words["day"]}) \\d\\d/\\d\\d 11:00 CES?T</strong>', done.text)


def test_confirmation_sms_in_the_tenants_language(cb, app, ccctl, tmp_path):
    from sqlalchemy import select

    from ccctl.db.models import Tenant
    from ccctl_sms.models import SmsMessage

    apply_tenant(ccctl, tmp_path, "callme", "locale: en_GB")
    slot = tomorrow(10, 0)
    day, hour = slot.split()
    shown = "/".join(reversed(day.split("-")))
    for slug in ("rappel", "callme"):
        cb("callback", "request", "-t", slug, "--phone", "+33612345678", "--name", "Léa", "--slot", slot)
    with app.session() as s:
        bodies = {slug: s.scalar(select(SmsMessage.body).join(Tenant, Tenant.id == SmsMessage.tenant_id)
                                 .where(Tenant.slug == slug)) for slug in ("rappel", "callme")}
    assert bodies["rappel"].startswith(f"Bonjour Léa, votre rappel est confirmé pour le {shown} à {hour}.")
    assert bodies["callme"].startswith(f"Hello Léa, your call-back is confirmed for {shown} at {hour}.")


def test_visitor_language_when_the_tenant_allows_it(cb, app, ccctl, tmp_path):
    apply_tenant(ccctl, tmp_path, "both", "languages: [en]")
    english = {"accept-language": "en-US,en;q=0.8"}
    with TestClient(create_web_app(app)) as client:
        page = client.get("/t/both/callback", headers=english)
        assert '<html lang="en">' in page.text and "<h1>Get a call back</h1>" in page.text
        assert re.search('<optgroup label="(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) ', page.text)
        error = client.post("/t/both/callback", headers=english,
                            data={**fields(page.text), "phone": "0612345678", "when": "slot"})
        assert "Please choose a slot." in error.text
        assert "<h1>Être rappelé</h1>" in client.get("/t/both/callback").text
