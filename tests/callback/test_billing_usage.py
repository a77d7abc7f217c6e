"""Call-back minutes on the invoice: Twilio's CallDuration (or a manual --duration) billed per started minute.

Calls are placed with the real SDK against the Twilio test server; the customer leg's status
comes back as a signed callback to the real web app; the invoice is the real `ccctl report billing`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from callback_helpers import write_tenant
from sqlalchemy import select

from ccctl.db.models import Interaction

PARIS = ZoneInfo("Europe/Paris")
AGENT_PHONE = "+33611111111"
CALLER_ID = "+33180000000"
BILLING = "billing:\n  currency: EUR\n  per_callback_minute: '0.45'\n"


@pytest.fixture
def calls(ccctl, app, tmp_path, monkeypatch, twilio_server):
    """(runner, Twilio server) with tenants 'rappel' and 'autre' dialling through it, both billed."""
    from support.live_server import threaded_server

    from ccctl.web.app import create_web_app

    twilio = twilio_server
    with threaded_server(create_web_app(app)) as base:
        monkeypatch.setenv("CB_TWILIO_TOKEN", twilio.auth_token)
        extra = (f"    public_url: {base}\n    agent_phones: {{marie: '{AGENT_PHONE}'}}\n"
                 f"    twilio: {{account_sid: {twilio.account_sid}, auth_token: '${{CB_TWILIO_TOKEN}}', "
                 f"caller_id: '{CALLER_ID}', api_url: '{twilio.url}'}}\n")
        for slug in ("rappel", "autre"):
            path = write_tenant(tmp_path, slug, extra=extra)
            path.write_text(path.read_text(encoding="utf-8") + BILLING, encoding="utf-8")
            ccctl("tenant", "apply", "-f", str(path))
        yield ccctl, twilio


def book(run, phone: str, slug: str = "rappel") -> int:
    return json.loads(run("callback", "request", "-t", slug, "--phone", phone, "--name", "Hugo",
                          "--now", "--format", "json").stdout)["item"]


def twilio_call(run, twilio, item: int, status: str, duration: str | None, slug: str = "rappel") -> dict:
    """Dial ``item`` and post the customer leg's final status; returns the call-back's screen."""
    placed = json.loads(run("callback", "dial", str(item), "-t", slug, "--agent", "marie",
                            "--format", "json").stdout)
    url = ET.fromstring(twilio.call_params[placed["call_sid"]]["Twiml"]).find("Dial/Number").get("statusCallback")
    params = {"AccountSid": twilio.account_sid, "CallSid": "CA" + placed["call_sid"][2:], "CallStatus": status}
    if duration is not None:
        params["CallDuration"] = duration
    assert twilio.post_webhook(url, params)[0] == 200
    return screen(run, item, slug)


def screen(run, item: int, slug: str = "rappel") -> dict:
    return json.loads(run("callback", "show", str(item), "-t", slug, "--format", "json").stdout)


def minutes(run, month: str, slug: str) -> dict | None:
    rows = run.json("report", "billing", "--month", month, "-t", slug)["rows"]
    return next((r for r in rows if r["line"] == "call-back minutes"), None)


def this_month() -> str:
    return datetime.now(PARIS).strftime("%Y-%m")


def test_call_duration_61_seconds_bills_two_minutes_for_its_tenant_only(calls, app):
    run, twilio = calls
    pop = twilio_call(run, twilio, book(run, "06 22 33 44 01"), "completed", "61")
    assert pop["state"] == "reached" and pop["attempts"][0]["duration_seconds"] == 61
    month = this_month()
    line = minutes(run, month, "rappel")
    assert (line["quantity"], line["unit_price"], line["amount"]) == ("2", "0.45", "0.90")

    twilio_call(run, twilio, book(run, "06 22 33 44 02", "autre"), "completed", "600", slug="autre")
    assert minutes(run, month, "autre")["quantity"] == "10"
    assert minutes(run, month, "rappel")["quantity"] == "2"  # the other tenant's 10 minutes never show here
    with app.session() as s:  # the history entry carries the talk time too
        payload = s.scalar(select(Interaction.payload).where(Interaction.channel == "callback",
                                                             Interaction.external_id.like("attempt-%")))
    assert payload["duration_seconds"] == 61


def test_rounding_per_started_minute_and_calls_without_talk_time(calls):
    run, twilio = calls
    for phone, duration in (("06 22 33 44 03", "60"), ("06 22 33 44 04", "1"), ("06 22 33 44 05", "0")):
        twilio_call(run, twilio, book(run, phone), "completed", duration)
    no_answer = twilio_call(run, twilio, book(run, "06 22 33 44 06"), "no-answer", "0")
    assert no_answer["attempts"][0]["outcome"] == "no-answer"
    # 60 s → 1, 1 s → 1, 0 s → 0, no answer → 0
    assert minutes(run, this_month(), "rappel")["quantity"] == "2"


def test_late_or_unreadable_call_duration(calls):
    run, twilio = calls
    item = book(run, "06 22 33 44 07")
    pop = twilio_call(run, twilio, item, "completed", "1 min")
    attempt = pop["attempts"][0]
    assert attempt["outcome"] == "reached" and attempt["duration_seconds"] is None
    assert "no readable CallDuration" in attempt["note"]
    # A month with ended calls but no known talk time reports zero minutes: no line, no fallback.
    assert minutes(run, this_month(), "rappel") is None


def test_duplicate_completed_keeps_the_first_duration(calls):
    run, twilio = calls
    item = book(run, "06 22 33 44 08")
    twilio_call(run, twilio, item, "completed", "61")
    url_params = twilio.callbacks[-1]
    again = {**url_params["params"], "CallDuration": "3600"}
    assert twilio.post_webhook(url_params["url"], again)[0] == 200
    assert screen(run, item)["attempts"][0]["duration_seconds"] == 61
    assert minutes(run, this_month(), "rappel")["quantity"] == "2"


def test_manual_duration_in_minutes_or_seconds(calls, app):
    run, _twilio = calls
    for phone, duration in (("06 22 33 44 09", "95s"), ("06 22 33 44 10", "3"), ("06 22 33 44 11", "4m")):
        done = json.loads(run("callback", "dial", str(book(run, phone)), "-t", "rappel", "--agent", "marie",
                              "--manual", "--outcome", "reached", "--duration", duration, "--format", "json").stdout)
        assert done["state"] == "reached"
    # 95 s → 2, 3 min → 3, 4 min → 4
    assert minutes(run, this_month(), "rappel")["quantity"] == "9"

    # The month is the one the call ended in, in the tenant's zone.
    from ccctl_callback.models import CallbackAttempt

    with app.session() as s:
        first = s.scalar(select(CallbackAttempt).where(CallbackAttempt.duration_seconds == 95))
        first.ended_at = datetime(2026, 10, 31, 23, 30, tzinfo=PARIS)  # 22:30 UTC: still October in Paris
        s.commit()
    assert minutes(run, "2026-10", "rappel")["quantity"] == "2"
    assert minutes(run, this_month(), "rappel")["quantity"] == "7"


def test_bad_duration_input_is_refused(calls):
    run, _twilio = calls
    item = str(book(run, "06 22 33 44 12"))
    base = ("callback", "dial", item, "-t", "rappel", "--agent", "marie")
    for args, message in [
        (("--duration", "3"), "go with --manual"),
        (("--manual", "--outcome", "reached", "--duration", "3h"), "is not a talk time like 4 (minutes)"),
        (("--manual", "--outcome", "reached", "--duration", "-5"), "is not a talk time"),
        (("--manual", "--outcome", "reached", "--duration", ""), "is not a talk time"),
        (("--manual", "--outcome", "no-answer", "--duration", "2"), "a 'no-answer' call had no talk time"),
        (("--manual", "--outcome", "cancelled", "--duration", "2"), "a 'cancelled' call had no talk time"),
    ]:
        refused = run(*base, *args, code=2)
        assert message in refused.stderr, (args, refused.stderr)
    assert screen(run, int(item))["attempts"] == []  # nothing recorded by a refused command
