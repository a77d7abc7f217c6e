"""Segment counting, templates (locale fallback, sandbox) and the sending rules, without a server."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from ccctl.errors import InputError
from ccctl_sms.config import SmsConfig
from ccctl_sms.rules import SendingRules
from ccctl_sms.segments import count_segments
from ccctl_sms.templates import check_template, find_template, render


@pytest.mark.parametrize("text,encoding,units,segments", [
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),          # extension table: two septets each
    ("€" * 81, "GSM-7", 162, 2),
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),  # the € is not cut: it moves to part two
    ("Rendez-vous à 9h, réf. {A}", "GSM-7", 28, 1),
    ("ê" * 70, "UCS-2", 70, 1),
    ("ê" * 71, "UCS-2", 71, 2),
    ("🚚" * 35, "UCS-2", 70, 1),          # surrogate pairs count two
    ("a" * 66 + "🚚", "UCS-2", 68, 1),
    ("a" * 66 + "🚚" + "a" * 66, "UCS-2", 134, 3),  # the pair is never split across parts
])
def test_segments(text, encoding, units, segments):
    seg = count_segments(text)
    assert (seg.encoding, seg.units, seg.segments) == (encoding, units, segments)


def test_segments_name_the_characters_forcing_ucs2():
    seg = count_segments("Votre colis arrive 🚚 demain, ça roule")
    assert seg.non_gsm == "🚚ç" and "UCS-2 because of" in seg.describe()


def test_template_locale_fallback_and_builtins():
    templates = {"hello": {"fr": "Bonjour {{ name }}", "en_GB": "Hello {{ name }}"}}
    assert find_template(templates, "hello", "fr_CA", "en_GB") == ("fr", "Bonjour {{ name }}")
    assert find_template(templates, "hello", None, "en_GB")[0] == "en_GB"
    assert find_template(templates, "hello", "de", "it_IT")[0] == "fr"  # any, rather than nothing
    assert find_template({}, "reminder", "en", "fr_FR")[0] == "en"        # shipped with the plugin
    with pytest.raises(InputError, match="no SMS template 'nope'.*reminder"):
        find_template(templates, "nope", None, "fr_FR")


def test_render_is_strict_and_sandboxed():
    assert render("Bonjour {{ name|upper }}", {"name": "léa"}) == "Bonjour LÉA"
    with pytest.raises(InputError, match="'name' is undefined"):
        render("Bonjour {{ name }}", {})
    with pytest.raises(InputError, match="unsafe|not safely|access"):
        render("{{ x.__class__.__mro__[1].__subclasses__() }}", {"x": ""})
    with pytest.raises(ValueError, match="line 2"):
        check_template("ok\n{% if %}")


def _rules(**settings) -> SendingRules:
    return SendingRules(SmsConfig.model_validate({"enabled": True, **settings}), "Europe/Paris", "FR")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_marketing_defaults_skip_night_sundays_and_holidays():
    rules = _rules()
    # Monday 23 Nov 2026, 07:00 Paris -> 10:00 the same day.
    assert rules.next_allowed(at("2026-11-23T06:00:00+00:00"), "marketing") == at("2026-11-23T09:00:00+00:00")
    # Saturday 21:00 -> Monday 10:00 (Sunday is never allowed).
    assert rules.next_allowed(at("2026-11-28T20:00:00+00:00"), "marketing") == at("2026-11-30T09:00:00+00:00")
    # Christmas (Friday) -> Saturday 26 Dec 10:00.
    assert rules.next_allowed(at("2026-12-25T10:00:00+00:00"), "marketing") == at("2026-12-26T09:00:00+00:00")
    # Transactional goes at any time by default, Sunday night and Christmas included.
    for moment in ("2026-11-29T23:30:00+00:00", "2026-12-25T03:00:00+00:00"):
        assert rules.next_allowed(at(moment), "transactional") == at(moment)


def test_quiet_hours_wrap_midnight_and_apply_to_everything():
    rules = _rules(quiet_hours=["21:30-08:00"], quiet_days=["sun"], extra_holidays=[date(2026, 11, 24)])
    assert rules.next_allowed(at("2026-11-23T21:00:00+00:00"), "transactional") == at("2026-11-24T07:00:00+00:00")
    assert rules.next_allowed(at("2026-11-29T12:00:00+00:00"), "transactional") == at("2026-11-30T07:00:00+00:00")
    # The tenant's own extra holiday blocks marketing on Tuesday 24th.
    assert rules.next_allowed(at("2026-11-24T10:00:00+00:00"), "marketing") == at("2026-11-25T09:00:00+00:00")


def test_rules_that_forbid_everything_say_never():
    rules = _rules(quiet_days=["mon-sun"])
    assert rules.next_allowed(datetime(2026, 11, 23, tzinfo=timezone.utc), "transactional") is None


@pytest.mark.parametrize("settings,message", [
    ({"quiet_hours": ["8h-9h"]}, "not a time range"),
    ({"quiet_days": ["sunday"]}, "is not a day"),
    ({"marketing_hours": {"mon-fri": ["10:00-12:00"], "fri": ["14:00-15:00"]}}, "given twice"),
    ({"templates": {"x": {"fr": "{% if %}"}}}, "template 'x' (fr): line 1"),
    ({"rate_per_second": 0}, "greater than 0"),
    ({"backend": "twilio"}, "needs account_sid and auth_token"),
    ({"backend": "twilio", "account_sid": "AC" + "0" * 32, "auth_token": "${T}"}, "needs 'from'"),
    ({"auth_token": "plain-secret"}, "must be a reference"),
    ({"backend": "pigeon"}, "twilio"),
    ({"frm": "+33757000001"}, "Extra inputs"),
])
def test_bad_settings_are_refused(settings, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SmsConfig.model_validate({"enabled": True, **settings})
