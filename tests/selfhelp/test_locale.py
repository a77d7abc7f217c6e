"""The FAQ pages' own words come from the ccctl_selfhelp catalogues, in the tenant's language."""

from __future__ import annotations

import pytest

from ccctl.testing import tenant_yaml


@pytest.mark.parametrize("locale, words, missing", [
    ("fr_FR", ('<html lang="fr">', "Comment pouvons-nous vous aider ?", "Rechercher", "Aucun article ne correspond"),
     '<h1 id="error-title">Page introuvable</h1>'),
    ("en_GB", ('<html lang="en">', "How can we help?", "Search", "No article matches. Try other words."),
     '<h1 id="error-title">Not Found</h1>'),
])
def test_faq_page_and_its_error_page_in_the_tenants_language(app, ccctl, tmp_path, locale, words, missing):
    from starlette.testclient import TestClient

    from ccctl.web.app import create_web_app

    path = tmp_path / "help.yaml"
    path.write_text(tenant_yaml("help", locale=locale, plugins={"selfhelp": True}), encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(path))
    with TestClient(create_web_app(app)) as client:
        page = client.get("/t/help/faq", params={"q": "nothing here"})
        not_found = client.get("/t/help/faq/no-such-article")
    assert not_found.status_code == 404 and missing in not_found.text  # core's error page, core's catalogue
    assert page.status_code == 200
    assert all(word in page.text.replace("&#39;", "'") for word in words), page.text
