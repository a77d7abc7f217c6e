"""Default prompts come from the ccctl_voice catalogues; a tenant's own texts win; other languages hear English."""

from __future__ import annotations

from ccctl_voice.config import DEFAULT_TEXTS, VoiceConfig

GOOD = {"enabled": True, "numbers": ["+33180000001"], "auth_token": "${TOKEN}"}


def test_every_default_prompt_in_french_and_english():
    cfg = VoiceConfig.model_validate({**GOOD, "texts": {"fr": {"goodbye": "À bientôt."}}})
    for key, english in DEFAULT_TEXTS.items():
        assert cfg.text("en", key) == english and cfg.text("de", key) == english
        if key != "goodbye":
            assert cfg.text("fr", key) != english, key  # translated, not the English msgid
    assert cfg.text("fr", "greeting") == "Bonjour, merci de votre appel."
    assert cfg.text("fr", "goodbye") == "À bientôt."  # the tenant's own words
    assert cfg.text("fr", "callback_offer", digit="1") == "Pour être rappelé sans perdre votre place, tapez 1."
