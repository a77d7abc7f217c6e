"""Cron behaviour of the sms commands: one tenant's fault never stops another, outages are waited
out (max_age), `sms retry` keeps exactly-once, and cron only hears about real problems."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from ccctl.db.models import utcnow

PHONE, OTHER = "+33612345678", "+33698765432"


def _two_tenants(sms_env, monkeypatch, broken_secret: bool = False):
    sms_env.apply("other", auth_token="${OTHER_TWILIO_TOKEN}")
    if not broken_secret:
        monkeypatch.setenv("OTHER_TWILIO_TOKEN", sms_env.twilio.auth_token)
    sms_env.schedule([{"to": PHONE, "body": "pour sms-test"}])
    sms_env.schedule([{"to": OTHER, "body": "pour other"}], slug="other")


def test_a_missing_secret_skips_that_tenant_only(sms_env, monkeypatch):
    _two_tenants(sms_env, monkeypatch, broken_secret=True)
    monkeypatch.delenv("OTHER_TWILIO_TOKEN", raising=False)
    result = sms_env.ccctl("sms", "dispatch", "--format", "json", "--linger", "0", code=1)
    assert json.loads(result.stdout)["sent"] == 1
    assert "tenant other: skipped" in result.stderr and "OTHER_TWILIO_TOKEN" in result.stderr
    assert [m["to"] for m in sms_env.twilio.created_messages()] == [PHONE]
    assert sms_env.outbox("other")[0]["state"] == "pending"


def test_tenant_selection_is_the_same_rule_everywhere(sms_env, monkeypatch):
    _two_tenants(sms_env, monkeypatch)
    env = {"CCCTL_TENANT": "other"}
    sms_env.ccctl("sms", "dispatch", "--linger", "0", env=env)
    assert [m["to"] for m in sms_env.twilio.created_messages()] == [OTHER]   # $CCCTL_TENANT: that one only
    usage = sms_env.ccctl("sms", "dispatch", "-t", "other", "--all-tenants", code=2)
    assert "not both" in usage.stderr
    sms_env.ccctl("sms", "dispatch", "--all-tenants", "--linger", "0", env=env)  # the flag wins over the env
    assert sorted(m["to"] for m in sms_env.twilio.created_messages()) == sorted([OTHER, PHONE])
    sms_env.ccctl("sms", "dispatch", "-t", "nobody", code=2)


def test_quiet_prints_nothing_when_all_went_well_or_nothing_was_due(sms_env):
    sms_env.schedule([{"to": PHONE, "body": "hello"}])
    done = sms_env.ccctl("sms", "dispatch", "--quiet", "--linger", "0")
    assert (done.stdout, done.stderr) == ("", "")
    idle = sms_env.ccctl("sms", "dispatch", "--quiet", "--linger", "0")
    assert (idle.stdout, idle.stderr) == ("", "")
    assert len(sms_env.twilio.created_messages()) == 1
    sms_env.twilio.number_errors[OTHER] = 21211
    sms_env.schedule([{"to": OTHER, "body": "nope"}])
    loud = sms_env.ccctl("sms", "dispatch", "--quiet", "--linger", "0", code=1)
    assert "tenant sms-test: 1 message(s) failed" in loud.stderr and "21211" in loud.stderr


def test_provider_down_leaves_messages_pending_then_sends_them_once(sms_env):
    sms_env.schedule([{"to": PHONE, "body": "a"}, {"to": OTHER, "body": "b"}])
    sms_env.twilio.down()
    result = sms_env.ccctl("sms", "dispatch", "--format", "json", "--linger", "0", code=1)
    assert "tenant sms-test: 2 message(s) left pending" in result.stderr and "unreachable" in result.stderr
    assert {r["state"] for r in sms_env.outbox()} == {"pending"}
    sms_env.twilio.up()
    _due_now(sms_env)
    assert sms_env.dispatch()["sent"] == 2
    assert len(sms_env.twilio.created_messages()) == 2 == len(sms_env.twilio.create_requests())


def test_send_exits_1_while_the_provider_is_down_and_keeps_the_message(sms_env):
    sms_env.twilio.down()
    result = sms_env.ccctl("sms", "send", PHONE, "--body", "urgent", "--key", "k1", code=1)
    assert "not sent yet" in result.stderr and "stays queued" in result.stderr
    sms_env.twilio.up()
    _due_now(sms_env)
    assert sms_env.dispatch()["sent"] == 1
    assert len(sms_env.twilio.created_messages()) == 1


def test_retryable_errors_give_up_only_after_max_age(sms_env, app):
    sms_env.apply(max_age="2h")
    sms_env.schedule([{"to": PHONE, "body": "hello"}])
    sms_env.twilio.down()
    for _ in range(3):  # many attempts, still young: pending (a fixed 6 attempts no longer fails it)
        sms_env.ccctl("sms", "dispatch", "--linger", "0", code=1)
        _due_now(sms_env)
    assert sms_env.outbox()[0]["state"] == "pending"
    _due_now(sms_env, first_attempt_ago=timedelta(hours=3))
    sms_env.ccctl("sms", "dispatch", "--linger", "0", code=1)
    [row] = sms_env.outbox()
    assert row["state"] == "failed" and "gave up after" in row["error"]


def test_retry_requeues_failed_messages_and_reconciles_a_possibly_sent_one(sms_env):
    """A failed row whose last attempt may have reached Twilio is looked up, not sent again."""
    sms_env.apply(max_attempts=1)
    sms_env.twilio.lose_response(count=1)
    sms_env.schedule([{"to": PHONE, "body": "maybe sent"}, {"to": OTHER, "body": "refused"}])
    sms_env.twilio.number_errors[OTHER] = 21211
    sms_env.dispatch(code=1)
    failed = {r["to"]: r for r in sms_env.outbox()}
    assert {r["state"] for r in failed.values()} == {"failed"}
    del sms_env.twilio.number_errors[OTHER]
    result = sms_env.ccctl.json("sms", "retry", "--state", "failed", "--since", "1h", "-t", "sms-test")
    assert result["requeued"] == 2
    summary = sms_env.dispatch()
    assert (summary["sent"], summary["reconciled"]) == (2, 1)
    created = sms_env.twilio.created_messages()
    assert sorted(m["to"] for m in created) == sorted([PHONE, OTHER])   # PHONE once, not twice
    assert sms_env.ccctl.json("sms", "retry", "--state", "failed", "-t", "sms-test")["requeued"] == 0


def test_retry_refuses_what_is_not_failed_and_blocks_opted_out_numbers(sms_env):
    sms_env.ccctl("sms", "send", PHONE, "--body", "sent")
    [sent] = sms_env.outbox()
    refused = sms_env.ccctl("sms", "retry", "--id", str(sent["id"]), "-t", "sms-test", code=2)
    assert f"{sent['id']} is sent" in refused.stderr
    sms_env.ccctl("sms", "retry", "--id", "99999", "-t", "sms-test", code=2)
    sms_env.ccctl("sms", "retry", "-t", "sms-test", code=2)  # neither --id nor --state
    sms_env.twilio.number_errors[OTHER] = 21211
    sms_env.ccctl("sms", "send", OTHER, "--body", "x", code=1)
    sms_env.ccctl("sms", "opt-out", OTHER)
    failed = [r for r in sms_env.outbox() if r["to"] == OTHER][0]
    out = sms_env.ccctl.json("sms", "retry", "--id", str(failed["id"]), "-t", "sms-test")
    assert (out["requeued"], out["blocked"]) == (0, 1)


def _due_now(sms_env, first_attempt_ago: timedelta | None = None) -> None:
    """Skip the backoff wait (the clock, not the logic, is what a test cannot wait for)."""
    from ccctl.context import App
    from ccctl.plugins import get_plugin_manager
    from ccctl_sms.models import PENDING, SmsMessage

    app = App(get_plugin_manager(), sms_env.db_url)
    values = {"next_attempt_at": utcnow()}
    if first_attempt_ago is not None:
        values["first_attempt_at"] = utcnow() - first_attempt_ago
    with app.transaction() as session:
        session.execute(update(SmsMessage).where(SmsMessage.state == PENDING).values(**values))
    app.close()


@given(amount=st.integers(1, 500), unit=st.sampled_from(["m", "h", "d"]))
def test_since_takes_a_duration_ago(amount, unit):
    from ccctl_sms.retry import parse_since

    minutes = amount * {"m": 1, "h": 60, "d": 1440}[unit]
    moment = parse_since(f"{amount}{unit}", "Europe/Paris")
    assert abs((utcnow() - timedelta(minutes=minutes) - moment).total_seconds()) < 5


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_since_takes_a_local_date_time(moment):
    from zoneinfo import ZoneInfo

    from ccctl_sms.retry import parse_since

    assert parse_since(moment.isoformat(), "Europe/Paris") == moment.replace(tzinfo=ZoneInfo("Europe/Paris"))


@given(st.text(max_size=20).filter(lambda t: t.strip() and not t.strip()[:1].isdigit()))
def test_since_refuses_anything_else_with_exit_2(text):
    from ccctl.errors import InputError
    from ccctl_sms.retry import parse_since

    with pytest.raises(InputError) as caught:
        parse_since(text, "Europe/Paris")
    assert "--since" in caught.value.message
