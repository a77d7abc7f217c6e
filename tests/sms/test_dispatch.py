"""Sending through the real Twilio SDK against the loopback server: once, retried, failed, blocked."""

from __future__ import annotations

import json
import urllib.parse

from ccctl_sms.config import SmsConfig

PHONE = "+33612345678"


def test_send_one_reaches_twilio_once(sms_env):
    result = sms_env.ccctl("sms", "send", "06 12 34 56 78", "--body", "Votre dossier est complet.",
                           "--key", "dossier-1", "--format", "json")
    row = json.loads(result.stdout)
    assert "1 segment, GSM-7" in result.stderr
    assert row["state"] == "sent" and row["sid"].startswith("SM") and row["to"] == PHONE
    [message] = sms_env.twilio.created_messages()
    assert (message["to"], message["from"], message["body"]) == (PHONE, "+33757000001", "Votre dossier est complet.")
    callback = urllib.parse.urlsplit(sms_env.twilio.message_params[message["sid"]]["StatusCallback"])
    query = urllib.parse.parse_qs(callback.query)
    assert callback.path == "/t/sms-test/sms/status" and query["o"] == [str(row["id"])] and len(query["a"][0]) == 32
    # The same key again: nothing new is sent.
    again = json.loads(sms_env.ccctl("sms", "send", PHONE, "--body", "Votre dossier est complet.",
                                     "--key", "dossier-1", "--format", "json").stdout)
    assert again["id"] == row["id"] and len(sms_env.twilio.create_requests()) == 1


def test_schedule_then_dispatch_is_exactly_once_across_reruns(sms_env):
    rows = [{"to": f"+3361234{i:04d}", "template": "reminder", "data": {"what": "RDV", "when": f"jour {i}"},
             "key": f"rdv-{i}"} for i in range(30)]
    assert sms_env.schedule(rows).stdout.count('"queued": 30')
    assert sms_env.dispatch()["sent"] == 30
    assert sms_env.dispatch()["sent"] == 0
    assert '"already": 30' in sms_env.schedule(rows).stdout
    assert sms_env.dispatch()["sent"] == 0
    created = sms_env.twilio.created_messages()
    assert len(created) == 30 == len(sms_env.twilio.create_requests())
    assert sorted(m["body"] for m in created) == sorted(f"Rappel : RDV le jour {i}." for i in range(30))
    assert {r["state"] for r in sms_env.outbox()} == {"sent"}


def test_invalid_numbers_fail_permanently_with_the_reason(sms_env):
    sms_env.twilio.number_errors.update({"+33612340001": 21211, "+33612340002": 21614})
    sms_env.schedule([{"to": "+33612340001", "body": "a"}, {"to": "+33612340002", "body": "b"},
                      {"to": "+33612340003", "body": "c"}])
    summary = sms_env.dispatch(code=1)  # something failed: cron must hear of it
    assert (summary["sent"], summary["failed"], summary["retried"]) == (1, 2, 0)
    by_to = {r["to"]: r for r in sms_env.outbox()}
    assert by_to["+33612340001"]["state"] == "failed" and "21211" in by_to["+33612340001"]["error"]
    assert "not a valid mobile number" in by_to["+33612340002"]["error"]
    assert by_to["+33612340003"]["state"] == "sent"
    assert len(sms_env.twilio.create_requests()) == 3  # permanent failures are not retried


def test_unsubscribed_21610_blocks_later_messages(sms_env):
    sms_env.twilio.number_errors[PHONE] = 21610
    sms_env.schedule([{"to": PHONE, "body": "one"}])
    sms_env.dispatch(code=1)
    opted = sms_env.ccctl.json("sms", "opt-outs", "-t", "sms-test")
    assert [(o["number"], o["source"]) for o in opted] == [(PHONE, "provider")]
    out = sms_env.schedule([{"to": PHONE, "body": "two"}])
    assert '"blocked": 1' in out.stdout
    sms_env.dispatch()
    assert len(sms_env.twilio.create_requests()) == 1
    sms_env.ccctl("sms", "send", PHONE, "--body", "three", code=1)


def test_429_is_retried_with_backoff(sms_env):
    sms_env.twilio.fail_next(429, count=2)
    sms_env.schedule([{"to": PHONE, "body": "hello"}])
    summary = sms_env.dispatch()
    assert (summary["sent"], summary["retried"], summary["reconciled"]) == (1, 2, 0)
    [row] = sms_env.outbox()
    assert row["attempts"] == 3 and row["state"] == "sent"
    assert len(sms_env.twilio.created_messages()) == 1


def test_5xx_reconciles_before_resending(sms_env):
    sms_env.twilio.fail_next(503, count=1)
    sms_env.schedule([{"to": PHONE, "body": "hello"}])
    assert sms_env.dispatch()["sent"] == 1
    methods = [(r.method, r.path.rsplit("/", 1)[-1]) for r in sms_env.twilio.requests]
    # create (503), list to look for it (none), create again.
    assert methods == [("POST", "Messages.json"), ("GET", "Messages.json"), ("POST", "Messages.json")]
    assert len(sms_env.twilio.created_messages()) == 1


def test_lost_response_is_reconciled_not_resent(sms_env):
    sms_env.twilio.lose_response(count=1)
    sms_env.schedule([{"to": PHONE, "body": "hello"}, {"to": "+33612345679", "body": "hello"}])
    summary = sms_env.dispatch("--concurrency", "1")
    assert (summary["sent"], summary["reconciled"]) == (2, 1)
    created = sms_env.twilio.created_messages()
    assert len(created) == 2
    assert {r["sid"] for r in sms_env.outbox()} == {m["sid"] for m in created}


def test_gives_up_after_max_attempts(sms_env):
    sms_env.apply(max_attempts=3)
    sms_env.twilio.fail_next(500, count=10)
    sms_env.schedule([{"to": PHONE, "body": "hello"}])
    summary = sms_env.dispatch(code=1)
    assert summary["failed"] == 1 and summary["sent"] == 0
    [row] = sms_env.outbox()
    assert row["state"] == "failed" and row["attempts"] == 3 and "gave up after 3 attempts" in row["error"]
    assert "outcome is unknown" in row["error"]


def test_bad_credentials_stop_the_run_and_keep_the_rows(sms_env, monkeypatch):
    monkeypatch.setenv("CCCTL_TEST_TWILIO_TOKEN", "wrong")
    sms_env.schedule([{"to": PHONE, "body": "a"}, {"to": "+33612345679", "body": "b"}])
    result = sms_env.ccctl("sms", "dispatch", "--format", "json", "--concurrency", "1", code=1)
    assert "20003" in result.stderr and "auth_token" in result.stderr
    rows = sms_env.outbox()
    assert {r["state"] for r in rows} == {"pending"} and {r["attempts"] for r in rows} == {0}
    assert sms_env.twilio.created_messages() == []


def test_rate_limit_spaces_send_slots(sms_env, session):
    from sqlalchemy import select

    from ccctl_sms.models import SmsMessage

    sms_env.apply(rate_per_second=20)
    sms_env.schedule([{"to": f"+3361234{i:04d}", "body": "x"} for i in range(30)])
    assert sms_env.dispatch("--concurrency", "8")["sent"] == 30
    slots = sorted(session.scalars(select(SmsMessage.claimed_at)))
    gaps = [(b - a).total_seconds() for a, b in zip(slots, slots[1:])]
    assert min(gaps) >= 0.05 - 1e-6  # one slot per 1/20 s, whatever the concurrency


def test_marketing_outside_its_window_is_deferred_not_sent(sms_env):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    hour = datetime.now(ZoneInfo("Europe/Paris")).hour
    start = (hour + 2) % 24
    window = f"{start:02d}:00-{start + 1:02d}:00" if start < 23 else "01:00-02:00"
    sms_env.apply(marketing_hours={"mon-sun": [window]}, marketing_on_holidays=True)
    sms_env.schedule([{"to": PHONE, "body": "Promo -20 %", "kind": "marketing"},
                      {"to": "+33612345679", "body": "Confirmation"}])
    summary = sms_env.dispatch()
    assert (summary["sent"], summary["deferred"]) == (1, 1)
    marketing = next(r for r in sms_env.outbox() if r["kind"] == "marketing")
    assert marketing["state"] == "pending" and marketing["body"].endswith("STOP au 36173")
    assert [m["body"] for m in sms_env.twilio.created_messages()] == ["Confirmation"]


def test_config_defaults_are_safe():
    config = SmsConfig.model_validate({"enabled": True})
    assert config.backend == "console"
    assert "sun" not in config.marketing_hours and config.marketing_on_holidays is False
