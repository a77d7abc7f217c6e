"""The contact form, its errors and its thank-you page in the tenant's language (fr_FR → French,
en_GB → English, a locale without a catalogue → English)."""

from __future__ import annotations

import html
import re

import pytest
from starlette.testclient import TestClient

from ccctl.web.app import create_web_app

WORDS = {
    "fr_FR": {"lang": "fr", "h1": "Contacter Acme", "label": "Nom", "button": "Envoyer",
              "error": "Veuillez indiquer votre nom.", "banner": "Veuillez corriger les champs signalés ci-dessous.",
              "thanks": "Acme a bien reçu votre message et vous répondra rapidement.",
              "frame": "Contacter Acme"},
    "en_GB": {"lang": "en", "h1": "Contact Acme", "label": "Name", "button": "Send",
              "error": "Please give your name.", "banner": "Please correct the fields marked below.",
              "thanks": "Acme has your message and will get back to you soon.", "frame": "Contact Acme"},
}
WORDS["de_DE"] = WORDS["en_GB"]


@pytest.mark.parametrize("locale", sorted(WORDS))
def test_contact_form_error_and_thanks_in_the_tenants_language(app, ccctl, tenant_file, locale):
    words = WORDS[locale]
    ccctl("tenant", "apply", "-f", str(tenant_file("acme", name="Acme", locale=locale)))
    with TestClient(create_web_app(app)) as client:
        form = client.get("/t/acme/contact")
        text = html.unescape(form.text)
        assert f'<html lang="{words["lang"]}">' in form.text and f"<h1>{words['h1']}</h1>" in text
        assert f'<label for="name">{words["label"]}</label>' in text and words["button"] in text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        bad = client.post("/t/acme/contact", data={"csrf_token": token, "email": "a@example.org", "message": "hi"})
        assert bad.status_code == 400
        assert words["error"] in html.unescape(bad.text) and words["banner"] in html.unescape(bad.text)
        thanks = client.get("/t/acme/contact/thanks")
        assert words["thanks"] in html.unescape(thanks.text)
        script = client.get("/t/acme/embed.js").text
        assert f'frame.title = "{words["frame"]}";' in script


def test_accept_language_picks_among_the_languages_the_tenant_allows(app, ccctl, tenant_file):
    ccctl("tenant", "apply", "-f", str(tenant_file("acme", name="Acme", locale="fr_FR", languages=["en"])))
    ccctl("tenant", "apply", "-f", str(tenant_file("solo", name="Solo", locale="fr_FR")))
    english = {"accept-language": "en-GB,en;q=0.9,fr;q=0.5"}
    with TestClient(create_web_app(app)) as client:
        assert "<h1>Contact Acme</h1>" in client.get("/t/acme/contact", headers=english).text
        assert "<h1>Contacter Acme</h1>" in client.get("/t/acme/contact").text  # no header: the tenant's locale
        assert "<h1>Contacter Acme</h1>" in client.get("/t/acme/contact", headers={"accept-language": "de"}).text
        assert "<h1>Contacter Solo</h1>" in client.get("/t/solo/contact", headers=english).text  # only fr allowed


def test_a_language_without_a_catalogue_is_refused(ccctl, tenant_file):
    result = ccctl("tenant", "apply", "-f", str(tenant_file("acme", languages=["de"])), code=2)
    assert "no catalogue for 'de'" in result.stderr and "languages" in result.stderr
