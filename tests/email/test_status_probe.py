"""`ccctl status` probes each tenant's IMAP and SMTP servers (real Dovecot and aiosmtpd, and a
closed port), with no database transaction open while it does."""

from __future__ import annotations

import json
import socket

ENV = {"EMAIL_TEST_IMAP_PW": "s3cret", "EMAIL_TEST_SMTP_PW": "hunter2-smtp"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def imap(port, user, env="EMAIL_TEST_IMAP_PW"):
    return {"host": "127.0.0.1", "port": port, "user": user, "password": f"'${{{env}}}'", "ssl": "false"}


def mail_checks(result) -> dict[str, dict]:
    return {row["check"]: row for row in json.loads(result.stdout) if row["check"].startswith("mail ")}


def test_reachable_servers_are_ok_and_probed_outside_any_transaction(ccctl, apply_tenant, dovecot, smtp,
                                                                    network_watch):
    user, _ = dovecot.add_user()
    apply_tenant(imap=imap(dovecot.port, user), smtp_port=smtp.port)
    network_watch.calls.clear()
    checks = mail_checks(ccctl("status", "-t", "voyages-lumiere", "--format", "json", env=ENV))
    assert checks["mail imap"]["status"] == "ok"
    assert f"127.0.0.1:{dovecot.port} answered, login accepted for {user}" in checks["mail imap"]["detail"]
    assert checks["mail smtp"]["status"] == "ok"
    assert f"127.0.0.1:{smtp.port} answered" in checks["mail smtp"]["detail"]
    assert {"IMAP connect", "IMAP LOGIN", "SMTP connect", "SMTP EHLO"} <= set(network_watch.calls)
    assert network_watch.in_transaction == []


def test_closed_ports_are_problems_named_per_tenant(ccctl, apply_tenant, dovecot, smtp):
    user, _ = dovecot.add_user()
    imap_port, smtp_port = closed_port(), closed_port()
    apply_tenant(imap=imap(imap_port, user), smtp_port=smtp_port)
    apply_tenant(slug="assurance-horizon", imap=imap(dovecot.port, user), smtp_port=smtp.port)
    result = ccctl("status", "--format", "json", env=ENV, code=1)
    rows = [r for r in json.loads(result.stdout) if r["check"] in ("mail imap", "mail smtp")]
    assert {(r["tenant"], r["check"], r["status"]) for r in rows} == {
        ("voyages-lumiere", "mail imap", "PROBLEM"), ("voyages-lumiere", "mail smtp", "PROBLEM"),
        ("assurance-horizon", "mail imap", "ok"), ("assurance-horizon", "mail smtp", "ok")}
    assert f"problem: tenant voyages-lumiere: mail imap: IMAP 127.0.0.1:{imap_port}: cannot connect" in result.stderr
    assert f"problem: tenant voyages-lumiere: mail smtp: SMTP 127.0.0.1:{smtp_port}: cannot connect" in result.stderr
    assert "assurance-horizon: mail" not in result.stderr
    # --no-probe: no network at all, so no problem from it.
    quiet = ccctl("status", "-t", "voyages-lumiere", "--no-probe", "--format", "json", env=ENV)
    assert {c["status"] for c in mail_checks(quiet).values()} == {"ok"}
    assert mail_checks(quiet)["mail imap"]["detail"] == "not probed"


def test_refused_login_and_missing_secret_never_show_a_secret(ccctl, apply_tenant, dovecot, smtp):
    user, _ = dovecot.add_user()
    apply_tenant(imap=imap(dovecot.port, user, env="EMAIL_TEST_WRONG_PW"), smtp_port=smtp.port)
    result = ccctl("status", "-t", "voyages-lumiere", "--format", "json", env={**ENV, "EMAIL_TEST_WRONG_PW": "w-r-o-n-g"},
                   code=1)
    checks = mail_checks(result)
    assert checks["mail imap"]["status"] == "PROBLEM" and f"login failed for user {user}" in checks["mail imap"]["detail"]
    assert checks["mail smtp"]["status"] == "ok"
    assert "w-r-o-n-g" not in result.stdout + result.stderr
    unset = ccctl("status", "-t", "voyages-lumiere", "--format", "json", env=ENV, code=1)
    assert "environment variable EMAIL_TEST_WRONG_PW is not set" in mail_checks(unset)["mail imap"]["detail"]


def test_a_server_that_never_greets_is_a_problem_after_the_probe_timeout(ccctl, apply_tenant, dovecot, monkeypatch):
    from ccctl_email import health

    monkeypatch.setattr(health, "PROBE_TIMEOUT", 0.5)
    user, _ = dovecot.add_user()
    with socket.socket() as silent:  # accepts the connection, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        apply_tenant(imap=imap(port, user), smtp_port=port)
        result = ccctl("status", "-t", "voyages-lumiere", "--format", "json", env=ENV, code=1)
    checks = mail_checks(result)
    assert checks["mail imap"]["status"] == checks["mail smtp"]["status"] == "PROBLEM"
    assert "timed out" in checks["mail imap"]["detail"] and "timed out" in checks["mail smtp"]["detail"]
