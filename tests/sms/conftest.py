"""SMS fixtures: the Twilio-compatible server on loopback and a tenant whose sms plugin points at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ccctl.testing.twilio_server import TwilioTestServer

TOKEN_ENV = "CCCTL_TEST_TWILIO_TOKEN"
SENDER = "+33757000001"


@pytest.fixture
def twilio(twilio_server) -> TwilioTestServer:
    """ccctl.testing's ``twilio_server`` under the name the SMS tests use."""
    return twilio_server


def tenant_yaml(twilio: TwilioTestServer, slug: str = "sms-test", **sms) -> dict:
    section = {
        "enabled": True, "backend": "twilio", "account_sid": twilio.account_sid, "auth_token": "${%s}" % TOKEN_ENV,
        "from": SENDER, "api_url": twilio.url, "retry_backoff": 0.01, "reconcile_after": 0,
        "status_callback_url": f"http://127.0.0.1:9/t/{slug}/sms/status",
    }
    section.update(sms)
    from ccctl.testing import tenant_yaml as build  # one builder for every area's tenant files

    return yaml.safe_load(build(slug, name=f"Tenant {slug}", queues=[{"name": "messages", "sla": "4h"}],
                                plugins={"sms": section}))


class SmsEnv:
    """A tenant applied against the test database, with helpers to drive and inspect it."""

    def __init__(self, ccctl, db_url: str, twilio: TwilioTestServer, tmp_path: Path, monkeypatch) -> None:
        self.ccctl, self.db_url, self.twilio, self.tmp_path = ccctl, db_url, twilio, tmp_path
        monkeypatch.setenv(TOKEN_ENV, twilio.auth_token)
        self.env = {**os.environ, TOKEN_ENV: twilio.auth_token}

    def apply(self, slug: str = "sms-test", code: int = 0, **sms):
        path = self.tmp_path / f"{slug}.yaml"
        path.write_text(yaml.safe_dump(tenant_yaml(self.twilio, slug, **sms), allow_unicode=True), encoding="utf-8")
        return self.ccctl("tenant", "apply", "-f", str(path), code=code)

    def schedule(self, rows: list[dict], slug: str = "sms-test", code: int = 0):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        return self.ccctl("sms", "schedule", "-", "-t", slug, "--format", "json", input=text, code=code)

    def dispatch(self, *args: str, code: int = 0) -> dict:
        result = self.ccctl("sms", "dispatch", "--format", "json", "--linger", "2", *args, code=code)
        return json.loads(result.stdout)

    def outbox(self, slug: str = "sms-test") -> list[dict]:
        return self.ccctl.json("sms", "list", "-t", slug, "--limit", "100000")

    def spawn_dispatch(self, *args: str) -> subprocess.Popen:
        """A real ``ccctl sms dispatch`` process (to kill -9 or to run side by side)."""
        return subprocess.Popen(
            [sys.executable, "-m", "ccctl", "--database-url", self.db_url, "sms", "dispatch", "--format", "json",
             "--linger", "2", *args],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def sms_env(ccctl, db_url, twilio, tmp_path, monkeypatch) -> SmsEnv:
    env = SmsEnv(ccctl, db_url, twilio, tmp_path, monkeypatch)
    env.apply()
    return env
