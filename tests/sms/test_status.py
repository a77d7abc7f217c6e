"""`ccctl status`: settings, secrets, provider reachability, backlog, stuck rows and cron runs,
per tenant, with an exit code a monitoring system can use."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from ccctl.db.models import utcnow

PHONE = "+33612345678"


def _checks(result) -> dict:
    return {(r["tenant"], r["check"]): r for r in json.loads(result.stdout)}


def test_a_healthy_tenant_passes_and_quiet_prints_nothing(sms_env):
    sms_env.ccctl("sms", "send", PHONE, "--body", "bonjour")
    sms_env.ccctl("sms", "dispatch", "--quiet")
    checks = _checks(sms_env.ccctl("status", "--format", "json"))
    assert checks[("sms-test", "sms provider")]["status"] == "ok"
    assert checks[("sms-test", "cron sms dispatch")]["status"] == "ok"
    assert checks[("sms-test", "secrets")]["references"] == 1
    quiet = sms_env.ccctl("status", "--quiet")
    assert (quiet.stdout, quiet.stderr) == ("", "")


def test_broken_secret_down_provider_and_a_failing_job_are_problems(sms_env, monkeypatch):
    sms_env.apply("other", auth_token="${OTHER_TOKEN_NOT_SET}")
    sms_env.schedule([{"to": PHONE, "body": "a"}])
    sms_env.twilio.down()
    sms_env.ccctl("sms", "dispatch", "--quiet", "--linger", "0", code=1)
    result = sms_env.ccctl("status", "--format", "json", code=1)
    checks = _checks(result)
    assert checks[("other", "secrets")]["status"] == "PROBLEM"
    assert "OTHER_TOKEN_NOT_SET" in checks[("other", "secrets")]["detail"]
    assert checks[("sms-test", "sms provider")]["status"] == "PROBLEM"
    assert "unreachable" in checks[("sms-test", "sms provider")]["detail"]
    assert checks[("sms-test", "cron sms dispatch")]["status"] == "PROBLEM"
    assert "left pending" in checks[("sms-test", "cron sms dispatch")]["detail"]
    assert "tenant other: secrets" in result.stderr and "tenant sms-test: sms provider" in result.stderr
    offline = _checks(sms_env.ccctl("status", "--no-probe", "-t", "sms-test", "--format", "json", code=1))
    assert offline[("sms-test", "sms provider")]["status"] == "ok"   # not probed
    sms_env.twilio.up()


def test_stuck_rows_late_backlog_and_stale_jobs_are_reported(sms_env, app):
    from ccctl_sms.models import SmsMessage

    sms_env.schedule([{"to": PHONE, "body": "a"}, {"to": "+33612345679", "body": "b"}])
    sms_env.ccctl("sms", "sync", "--quiet")
    with app.transaction() as session:
        ids = sorted(session.scalars(select(SmsMessage.id)))
        session.execute(update(SmsMessage).where(SmsMessage.id == ids[0]).values(
            state="sending", claimed_at=utcnow() - timedelta(hours=1), attempt_id="x" * 32, claimed_by="h:1:x"))
        session.execute(update(SmsMessage).where(SmsMessage.id == ids[1]).values(
            next_attempt_at=utcnow() - timedelta(hours=2)))
    checks = _checks(sms_env.ccctl("status", "--format", "json", "--stale-after", "1d", code=1))
    assert checks[("sms-test", "sms stuck")]["stuck"] == 1
    assert checks[("sms-test", "sms outbox")]["status"] == "PROBLEM"
    assert checks[("sms-test", "cron sms sync")]["status"] == "ok"
    from ccctl.db.models import CronRunRecord

    with app.transaction() as session:
        session.execute(update(CronRunRecord).values(last_ok_at=utcnow() - timedelta(hours=3)))
    stale = _checks(sms_env.ccctl("status", "--format", "json", "--stale-after", "2h", code=1))
    assert "no successful run since" in stale[("sms-test", "cron sms sync")]["detail"]
    sms_env.ccctl("status", "--stale-after", "soon", code=2)
    per_job = _checks(sms_env.ccctl("status", "--format", "json", "--stale-after", "sms sync=4h", code=1))
    assert per_job[("sms-test", "cron sms sync")]["status"] == "ok"
