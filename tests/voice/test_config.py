"""plugins.voice in the tenant YAML: good and bad sections, errors naming the key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ccctl_voice.config import VoiceConfig

GOOD = {"enabled": True, "numbers": ["+33180000001"], "auth_token": "${TOKEN}"}


def test_defaults():
    cfg = VoiceConfig.model_validate(GOOD)
    assert (cfg.out_of_hours, cfg.recording.enabled, cfg.case_number.digits, cfg.sticky_seconds) == (
        "voicemail", False, 7, 300)
    assert cfg.text("fr", "wait", position=2, minutes=3) == "Vous êtes en position 2. Attente estimée : 3 minutes."
    custom = VoiceConfig.model_validate({**GOOD, "texts": {"en": {"greeting": "https://x.example/hello.mp3"}}})
    assert custom.text("en", "greeting") == "https://x.example/hello.mp3" and custom.text("en", "goodbye") == "Goodbye."


@pytest.mark.parametrize("change, message", [
    ({"numbers": []}, "at least 1"),
    ({"numbers": ["01 80 00 00 01"]}, "should match pattern"),
    ({"auth_token": "abcdef0123"}, "never the token itself"),
    ({"case_number": {"digits": 2, "check": "mod97"}}, "no room"),
    ({"case_number": {"digits": 7, "check": "crc"}}, "luhn"),
    ({"menu": {"10": {"queue": "x"}}}, "should match pattern"),
    ({"menu": {"1": {"queue": "x", "skill": "y"}}}, "Extra inputs"),
    ({"out_of_hours": "hangup"}, "voicemail"),
    ({"sticky": "forever"}, "not a duration"),
    ({"hours": {"mon": "9-18"}}, ""),
    ({"texts": {"fr": {"greting": "Bonjour"}}}, "unknown key(s) greting"),
    ({"recording": {"enabled": "maybe"}}, "bool"),
    ({"public_url": "cc.example.fr"}, "should match pattern"),
])
def test_bad_sections_are_refused(change, message):
    with pytest.raises(ValidationError) as caught:
        VoiceConfig.model_validate({**GOOD, **change})
    assert message in str(caught.value)


def test_tenant_apply_names_the_file_and_key(ccctl, tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("tenant: t\nname: T\nqueues: [{name: accueil}]\nplugins:\n  voice:\n    enabled: true\n"
                    "    numbers: ['+33180000001']\n    case_number: {digits: 1}\n", encoding="utf-8")
    result = ccctl("tenant", "apply", "-f", str(path), code=2)
    assert "t.yaml" in result.stderr and "case_number" in result.stderr


def test_case_number_of_a_tenant_without_voice_says_so(example_tenants):
    result = example_tenants("voice", "case-number", "1", "-t", "voyages-lumiere", code=1)
    assert "voice plugin is not enabled for tenant voyages-lumiere" in result.stderr
