"""The brochure mail's default body is in the tenant's language (ccctl_fulfil catalogues); a tenant's own stays."""

from __future__ import annotations

from ccctl_fulfil.config import FulfilConfig
from ccctl_fulfil.render import render


def test_default_body_in_the_tenants_language_and_the_tenants_own_as_written():
    data = {"name": "Anna", "title": "Japon", "item": 1}
    default = FulfilConfig.model_validate({"enabled": True}).email
    assert render(default.body_for("fr_FR"), data) == "Bonjour Anna,\n\nVous trouverez ci-joint la brochure « Japon » demandée."  # Jinja drops the last newline
    assert render(default.body_for("en_GB"), data) == "Hello Anna,\n\nPlease find attached the brochure “Japon” you asked for."
    own = FulfilConfig.model_validate({"enabled": True, "email": {"body": "Salut {{ name }}"}}).email
    assert render(own.body_for("en_GB"), data) == "Salut Anna"
