"""Who the audit log names when no --actor is given: cron and containers often have no $USER."""

from __future__ import annotations

import os
import pwd

import pytest

from ccctl.audit import current_actor


@pytest.mark.parametrize("env, expected", [
    ({"CCCTL_ACTOR": "dpo", "USER": "root", "LOGNAME": "x"}, "dpo"),
    ({"USER": "camille", "LOGNAME": "x"}, "camille"),
    ({"USER": "  ", "LOGNAME": "cron-user"}, "cron-user"),
])
def test_the_first_set_variable_names_the_actor(monkeypatch, env, expected):
    for name in ("CCCTL_ACTOR", "USER", "LOGNAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert current_actor() == expected
    assert current_actor("given") == "given"


def test_without_variables_the_process_user_is_named(monkeypatch):
    for name in ("CCCTL_ACTOR", "USER", "LOGNAME"):
        monkeypatch.delenv(name, raising=False)
    assert current_actor() == pwd.getpwuid(os.getuid()).pw_name != "unknown"


def test_an_erase_by_cron_with_no_user_is_not_unknown(ccctl, monkeypatch, tmp_path):
    for name in ("CCCTL_ACTOR", "USER", "LOGNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOGNAME", "cron-user")
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "t.yaml").write_text("tenant: t\nname: T\n")
    ccctl("tenant", "apply", "-f", str(folder))
    ccctl("report", "billing", "--month", "2026-11", "-t", "t")
    assert [e["actor"] for e in ccctl.json("audit")] == ["cron-user"]
