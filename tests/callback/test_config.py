"""The `plugins.callback` section: defaults, and mistakes named by file, line and key."""

from __future__ import annotations

import pytest
from callback_helpers import write_tenant

from ccctl_callback.config import CallbackConfig


def test_defaults_follow_the_french_calling_rules():
    cfg = CallbackConfig.model_validate({"enabled": True})
    assert cfg.calling_hours.hours == {d: ["10:00-13:00", "14:00-20:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    assert cfg.calling_hours.on_holidays is False and cfg.calling_hours.consent_overrides is True
    assert cfg.backoff_minutes(1) == 30 and cfg.backoff_minutes(2) == 120 and cfg.backoff_minutes(9) == 120


@pytest.mark.parametrize("section", [{"retry_backoff": ["soon"]}, {"min_lead": "tomorrow"}, {"retry_backoff": []}])
def test_bad_durations_are_refused(section):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        CallbackConfig.model_validate({"enabled": True, **section})


@pytest.mark.parametrize("extra, key, message", [
    ("    slot_minutes: 0\n", "plugins.callback.slot_minutes", "greater than or equal to 5"),
    ("    agent_phones: [marie]\n", "plugins.callback.agent_phones", "valid dictionary"),
    ("    calling_hours: {hours: {mon: '20:00-10:00'}}\n", "plugins.callback.calling_hours.hours", "ends before"),
    ("    hours: {funday: '09:00-12:00'}\n", "plugins.callback.hours", "is not a day"),
    ("    slot_minute: 30\n", "plugins.callback.slot_minute", "unknown key"),
    ("    twilio: {auth_token: plain-secret-value}\n", "plugins.callback.twilio.auth_token", "secrets must not"),
])
def test_mistakes_name_file_line_and_key(ccctl, tmp_path, extra, key, message):
    path = write_tenant(tmp_path, "faux", extra=extra)
    refused = ccctl("tenant", "apply", "-f", str(path), code=2).stderr
    line = next(i for i, text in enumerate(path.read_text().splitlines(), start=1) if text == extra.splitlines()[0])
    assert f"{path}:" in refused and message in refused
    assert f"key '{key}" in refused
    assert f":{line}:" in refused
