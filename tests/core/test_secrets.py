"""Secrets stay ${ENV} / file: references: validated, stored and printed as such, resolved only on use."""

from __future__ import annotations

import json

import pytest

from ccctl.config.secrets import is_reference, looks_secret, mask, resolve_secret
from ccctl.errors import CcctlError

SECRET = "s3cr3t-Value-42"


def test_resolve_env_reference(monkeypatch):
    monkeypatch.setenv("ACME_TOKEN", SECRET)
    assert resolve_secret("${ACME_TOKEN}") == SECRET


def test_missing_env_names_the_variable_not_a_value(monkeypatch):
    monkeypatch.delenv("ACME_TOKEN", raising=False)
    with pytest.raises(CcctlError, match=r"sms token: environment variable ACME_TOKEN is not set"):
        resolve_secret("${ACME_TOKEN}", "sms token")


def test_resolve_file_reference(tmp_path):
    path = tmp_path / "token"
    path.write_text(SECRET + "\n")
    assert resolve_secret(f"file:{path}") == SECRET
    with pytest.raises(CcctlError, match="cannot read"):
        resolve_secret(f"file:{tmp_path / 'missing'}")


def test_plain_value_is_refused_without_echoing_it():
    with pytest.raises(CcctlError) as caught:
        resolve_secret(SECRET, "api token")
    assert SECRET not in caught.value.message and "reference" in caught.value.message
    assert resolve_secret(None) is None


@pytest.mark.parametrize("value,expected", [
    ("${A}", True), ("${A_B9}", True), ("file:/run/secrets/x", True),
    ("$A", False), ("${9A}", False), ("${A} ", False), ("hunter2", False), (None, False), (3, False),
])
def test_is_reference(value, expected):
    assert is_reference(value) is expected


def test_looks_secret_and_mask():
    assert all(looks_secret(k) for k in ("imap_password", "API_KEY", "auth_token", "client_secret"))
    assert not any(looks_secret(k) for k in ("host", "username", "enabled"))
    assert mask("${X}") == "${X}" and mask("hunter2") == "***"


def test_secrets_are_stored_and_shown_as_references(recorders, ccctl_with, tenant_yaml, snapshot, monkeypatch):
    monkeypatch.setenv("ACME_TOKEN", SECRET)
    pm, _watcher, _auditor = recorders
    cli = ccctl_with(pm)
    path = tenant_yaml("acme", """\
        plugins:
          watcher:
            enabled: true
            api_token: ${ACME_TOKEN}
        """)
    outputs = [cli("tenant", "apply", "-f", path, "--dry-run", "--format", "table").stdout,
               cli("tenant", "apply", "-f", path, "--format", "json").stdout,
               cli("tenant", "show", "acme", "--format", "table").stdout,
               cli("tenant", "show", "acme", "--format", "json").stdout,
               cli("tenant", "list", "--format", "csv").stdout]
    assert json.loads(outputs[3])["plugins"]["watcher"]["api_token"] == "${ACME_TOKEN}"
    assert all(SECRET not in out for out in outputs)
    assert SECRET not in json.dumps(snapshot())
    assert "${ACME_TOKEN}" in json.dumps(snapshot("acme"))


def test_plain_secret_in_a_plugin_section_is_refused(recorders, ccctl_with, tenant_yaml, snapshot):
    pm, _watcher, _auditor = recorders
    path = tenant_yaml("acme", """\
        plugins:
          watcher:
            enabled: true
            api_token: s3cr3t-Value-42
        """)
    before = snapshot()
    message = ccctl_with(pm)("tenant", "apply", "-f", path, code=2).stderr
    line = path.read_text().splitlines().index("    api_token: s3cr3t-Value-42") + 1
    assert f"{path}:{line}: key 'plugins.watcher.api_token': secrets must not be written" in message
    assert SECRET not in message
    assert snapshot() == before
