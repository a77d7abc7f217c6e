"""`email fetch` and the outbox as cron runs them: no transaction open while IMAP or SMTP talks,
and two runs at once (real processes, real Dovecot) neither fail nor ingest anything twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from ccctl.db.models import WorkItem, utcnow
from ccctl_email.models import EmailMessage, ImapState, OutboundMail, QuarantinedMail

PASSWORD_ENV = {"EMAIL_TEST_IMAP_PW": "s3cret"}


def imap_settings(dovecot, user):
    return {"host": "127.0.0.1", "port": dovecot.port, "user": user, "password": "'${EMAIL_TEST_IMAP_PW}'",
            "ssl": "false"}


def test_no_transaction_is_open_while_imap_or_smtp_talks(ccctl, apply_tenant, dovecot, make_mail, smtp,
                                                          network_watch, monkeypatch):
    from ccctl_email import imap

    monkeypatch.setattr(imap, "FETCH_CHUNK", 2)  # several chunks: a FETCH after a chunk's commit
    user, password = dovecot.add_user()
    apply_tenant(imap=imap_settings(dovecot, user), smtp_port=smtp.port, ack="ack: {enabled: true}")
    dovecot.append(user, password, *(make_mail(n, sender=f"c{n}@example.fr") for n in range(1, 6)))
    network_watch.calls.clear()
    rows = ccctl.json("email", "fetch", "-t", "voyages-lumiere", env=PASSWORD_ENV)
    assert (rows[0]["new"], rows[0]["acks_sent"]) == (5, 5)
    asked = set(network_watch.calls)
    assert {"IMAP connect", "IMAP EXAMINE", "IMAP UID", "SMTP connect", "SMTP DATA"} <= asked, asked
    assert network_watch.calls.count("IMAP UID") == 4  # one SEARCH, three FETCH chunks
    assert network_watch.in_transaction == []
    # Fetched again: nothing new, still nothing asked inside a transaction (the lease's own writes included).
    assert ccctl.json("email", "fetch", "-t", "voyages-lumiere", env=PASSWORD_ENV)[0]["new"] == 0
    assert network_watch.in_transaction == []


def test_reply_and_send_hold_no_transaction_while_smtp_talks(ccctl, apply_tenant, smtp, network_watch, tmp_path,
                                                            make_mail):
    apply_tenant(smtp_port=smtp.port)
    message = tmp_path / "m.eml"
    message.write_bytes(make_mail(1))
    ccctl("email", "ingest", str(message), "-t", "voyages-lumiere", "--no-ack")
    item = ccctl.json("queue", "list", "-t", "voyages-lumiere")[0]["id"]
    network_watch.calls.clear()
    reply = ccctl.json("email", "reply", str(item), "-t", "voyages-lumiere", input="Bien reçu.")
    assert reply["status"] == "sent" and "SMTP DATA" in network_watch.calls
    assert network_watch.in_transaction == []


def test_a_mailbox_being_read_is_skipped_with_a_line(ccctl, apply_tenant, dovecot, make_mail, app):
    user, password = dovecot.add_user()
    apply_tenant(imap=imap_settings(dovecot, user))
    dovecot.append(user, password, make_mail(1))
    assert ccctl.json("email", "fetch", "-t", "voyages-lumiere", env=PASSWORD_ENV)[0]["new"] == 1
    dovecot.append(user, password, make_mail(2, sender="b@example.fr"))
    # Another run (on another host) holds the lease: this one skips the mailbox, exit 0.
    with app.session() as session:
        session.execute(update(ImapState).values(lease_holder="other-host:4242:abcd",
                                                 lease_until=utcnow() + timedelta(minutes=5)))
        session.commit()
    result = ccctl("email", "fetch", "-t", "voyages-lumiere", "--format", "json", env=PASSWORD_ENV)
    assert json.loads(result.stdout) == []
    assert "tenant voyages-lumiere: mailbox skipped: another email fetch run (other-host:4242:abcd)" in result.stderr
    quiet = ccctl("email", "fetch", "-t", "voyages-lumiere", "--quiet", env=PASSWORD_ENV)
    assert quiet.stdout == "" and quiet.stderr == ""
    # A run that died holding it: once the lease ran out, the next run takes over and reads on.
    with app.session() as session:
        session.execute(update(ImapState).values(lease_until=utcnow() - timedelta(seconds=1)))
        session.commit()
    [row] = ccctl.json("email", "fetch", "-t", "voyages-lumiere", env=PASSWORD_ENV)
    assert (row["new"], row["duplicate"]) == (1, 0)
    with app.session() as session:
        state = session.scalar(select(ImapState))
        assert (state.last_uid, state.lease_holder, state.lease_until) == (2, None, None)  # given back


def test_a_run_whose_lease_was_taken_over_commits_nothing(app, apply_tenant, dovecot, make_mail, monkeypatch):
    from ccctl_email import imap
    from ccctl_email.config import email_config
    from ccctl_email.lease import LeaseLost

    user, password = dovecot.add_user()
    apply_tenant(imap=imap_settings(dovecot, user))
    dovecot.append(user, password, *(make_mail(n, sender=f"c{n}@example.fr") for n in range(1, 4)))
    monkeypatch.setenv("EMAIL_TEST_IMAP_PW", password)
    real_fetch = imap.fetch_messages

    def stolen_meanwhile(conn, uids):  # while this run fetches, its lease runs out and another run takes it
        with app.session() as other:
            other.execute(update(ImapState).values(lease_holder="thief", lease_until=utcnow() + timedelta(minutes=5)))
            other.commit()
        return real_fetch(conn, uids)

    monkeypatch.setattr(imap, "fetch_messages", stolen_meanwhile)
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        with pytest.raises(LeaseLost, match="another run took the mailbox over"):
            imap.fetch_tenant(app.context(session, tenant), email_config(tenant), session.commit)
    with app.session() as session:
        assert session.scalar(select(func.count()).select_from(EmailMessage)) == 0
        assert session.scalar(select(ImapState.lease_holder)) == "thief"  # not released by the loser


def _fetch_process(db_url: str, *args: str, command: str = "fetch") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ccctl", "--database-url", db_url, "email", command, *args,
                             "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **PASSWORD_ENV, "CCCTL_TENANT": ""})


@pytest.mark.slow
def test_two_runs_at_once_neither_fail_nor_ingest_twice(db_url, apply_tenant, dovecot, make_mail, app, tmp_path):
    """Two cron runs on one mailbox, a third on another tenant's, and a Maildir import into that
    tenant, as real processes: every run exits 0 with no traceback, each message is stored once,
    none is lost or quarantined."""
    user_a, password = dovecot.add_user()
    user_b, _ = dovecot.add_user()
    apply_tenant(imap=imap_settings(dovecot, user_a))
    apply_tenant(slug="assurance-horizon", imap=imap_settings(dovecot, user_b))
    messages = [make_mail(n, sender=f"c{n % 40}@example.fr", body=f"message {n} " + "x" * 2000)
                for n in range(1, 301)]
    dovecot.append(user_a, password, *messages)
    dovecot.append(user_b, password, *messages)
    imported = tmp_path / "import"
    imported.mkdir()
    for n in range(1, 201):
        (imported / f"{n}.eml").write_bytes(make_mail(f"imp{n}", sender=f"i{n % 30}@example.fr"))
    runs = [_fetch_process(db_url, "-t", "voyages-lumiere"), _fetch_process(db_url, "-t", "voyages-lumiere"),
            _fetch_process(db_url, "-t", "assurance-horizon")]
    importer = _fetch_process(db_url, str(imported), "-t", "assurance-horizon", "--jobs", "0", command="ingest")
    out, err = importer.communicate(timeout=300)
    assert importer.returncode == 0 and "Traceback" not in err, err
    assert json.loads(out)["new"] == 200
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err, err
    fetched = [row for out, _err in outputs for row in json.loads(out)]
    assert sum(r["new"] for r in fetched if r["tenant"] == "voyages-lumiere") == 300
    assert sum(r["new"] for r in fetched if r["tenant"] == "assurance-horizon") == 300
    with app.session() as session:
        for slug in ("voyages-lumiere", "assurance-horizon"):
            tenant = app.tenant(session, slug)
            stored = session.execute(select(func.count(), func.count(func.distinct(EmailMessage.message_id))).where(
                EmailMessage.tenant_id == tenant.id)).one()
            expected = 300 if slug == "voyages-lumiere" else 500
            assert tuple(stored) == (expected, expected)
            assert session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.tenant_id == tenant.id)) \
                == expected
        assert session.scalar(select(func.count()).select_from(QuarantinedMail)) == 0
        assert session.scalar(select(func.count()).select_from(OutboundMail)) == 0


def test_a_lease_given_back_between_two_statements_is_taken_not_a_crash(app, apply_tenant):
    """PostgreSQL reads committed data per statement: the holder may give the lease back between
    the UPDATE that found it held and the SELECT that names the holder. The run then takes the
    lease (it was a TypeError formatting the released lease's empty end: CI, two cron runs)."""
    from sqlalchemy import event

    from ccctl_email import lease as leases

    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes the two statements one write turn")
    apply_tenant()
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        held = leases.acquire(session, tenant.id, "inbox", "other-host:1:abcd")

    def give_back_first(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "lease_holder" in statement and not released:
            released.append(True)
            with app.session() as other:  # the holder ends its run: committed before our SELECT reads
                leases.release(other, held)

    released: list[bool] = []
    event.listen(app.engine, "before_cursor_execute", give_back_first)
    try:
        with app.session() as session:
            mine = leases.acquire(session, tenant.id, "inbox", "this-run")
    finally:
        event.remove(app.engine, "before_cursor_execute", give_back_first)
    assert released == [True] and mine.holder == "this-run"
    with app.session() as session:
        assert session.scalar(select(ImapState.lease_holder)) == "this-run"
