"""`ccctl email fetch` against a real Dovecot on loopback: each message once, nothing lost when killed."""

import pytest
from sqlalchemy import func, select

from ccctl.db.models import WorkItem
from ccctl_email.models import EmailMessage, ImapState


@pytest.fixture
def mailbox_user(dovecot):
    return dovecot.add_user()


def imap_settings(dovecot, user, env="EMAIL_TEST_IMAP_PW", **extra):
    return {"host": "127.0.0.1", "port": dovecot.port, "user": user, "password": f"'${{{env}}}'", "ssl": "false",
            **extra}


def fetch(ccctl, *args, password="s3cret", code=0):
    env = {"EMAIL_TEST_IMAP_PW": password, "EMAIL_TEST_WRONG_PW": "wrong"}
    return ccctl("email", "fetch", *args, "--format", "json", env=env, code=code)


def test_fetch_reads_each_message_once(ccctl, apply_tenant, dovecot, mailbox_user, make_mail, session):
    user, password = mailbox_user
    apply_tenant(imap=imap_settings(dovecot, user))
    dovecot.append(user, password, make_mail(1), make_mail(2, sender="b@example.fr"),
                   make_mail(3, headers="In-Reply-To: <m1@example.fr>"))
    import json

    [row] = json.loads(fetch(ccctl, "-t", "voyages-lumiere").stdout)
    assert (row["new"], row["joined"], row["duplicate"]) == (2, 1, 0)
    [again] = json.loads(fetch(ccctl, "-t", "voyages-lumiere").stdout)
    assert (again["new"], again["joined"], again["duplicate"]) == (0, 0, 0)  # nothing fetched twice
    dovecot.append(user, password, make_mail(4, sender="c@example.fr"))
    [later] = json.loads(fetch(ccctl, "-t", "voyages-lumiere").stdout)
    assert later["new"] == 1
    state = session.scalar(select(ImapState))
    assert state.last_uid == 4 and state.account.startswith(f"{user}@127.0.0.1:")
    # The mailbox was only read: the messages are still unseen for the people who use it.
    conn = dovecot.connect(user, password)
    conn.select("INBOX", readonly=True)
    assert conn.search(None, "UNSEEN")[1][0].split() == [b"1", b"2", b"3", b"4"]
    conn.logout()


def test_killed_midway_loses_nothing_and_duplicates_nothing(app, apply_tenant, dovecot, mailbox_user, make_mail,
                                                           monkeypatch):
    from ccctl_email import imap
    from ccctl_email.config import email_config

    user, password = mailbox_user
    apply_tenant(imap=imap_settings(dovecot, user))
    dovecot.append(user, password, *(make_mail(n, sender=f"c{n}@example.fr") for n in range(1, 8)))
    monkeypatch.setenv("EMAIL_TEST_IMAP_PW", password)
    monkeypatch.setattr(imap, "FETCH_CHUNK", 2)

    class Killed(BaseException):
        pass

    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        commits = []

        def commit_then_die():
            session.commit()
            commits.append(1)
            if len(commits) == 3:  # the process dies right after its second chunk's commit (the first ends the caller's)
                raise Killed

        with pytest.raises(Killed):
            imap.fetch_tenant(app.context(session, tenant), email_config(tenant), commit_then_die)
        session.rollback()
    with app.session() as session:
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 4  # two committed chunks
        tenant = app.tenant(session, "voyages-lumiere")
        result = imap.fetch_tenant(app.context(session, tenant), email_config(tenant), session.commit)
        assert (result["new"], result["duplicate"]) == (3, 0)
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 7
        assert session.scalar(select(func.count()).select_from(EmailMessage)) == 7


def test_uidvalidity_change_rereads_without_duplicates(ccctl, apply_tenant, dovecot, mailbox_user, make_mail,
                                                       session):
    import json

    user, password = mailbox_user
    apply_tenant(imap=imap_settings(dovecot, user))
    dovecot.append(user, password, make_mail(1), make_mail(2, sender="b@example.fr"))
    fetch(ccctl, "-t", "voyages-lumiere")
    state = session.scalar(select(ImapState))
    real = state.uidvalidity
    state.uidvalidity, state.last_uid = real + 1, 2  # as if the server had rebuilt the folder
    session.commit()
    [row] = json.loads(fetch(ccctl, "-t", "voyages-lumiere").stdout)
    assert (row["new"], row["duplicate"]) == (0, 2)
    session.rollback()
    session.expire_all()
    state = session.scalar(select(ImapState))
    assert (state.uidvalidity, state.last_uid) == (real, 2)


def test_other_folder_and_all_tenants(ccctl, apply_tenant, dovecot, make_mail):
    import json

    user_a, pw = dovecot.add_user()
    user_b, _ = dovecot.add_user()
    apply_tenant(imap=imap_settings(dovecot, user_a, folder="Support"))
    apply_tenant(slug="assurance-horizon", imap=imap_settings(dovecot, user_b))
    dovecot.append(user_a, pw, make_mail(1), folder="Support")
    dovecot.append(user_b, pw, make_mail(1), make_mail(2, sender="b@example.fr"))
    rows = json.loads(fetch(ccctl, "--all-tenants").stdout)
    assert {r["tenant"]: r["new"] for r in rows} == {"assurance-horizon": 2, "voyages-lumiere": 1}
    # Same Message-ID in two tenants: two different items, each tenant sees its own.
    assert ccctl.json("customer", "find", "elodie@example.fr", "-t", "assurance-horizon")
    assert ccctl.json("customer", "find", "elodie@example.fr", "-t", "voyages-lumiere")


def test_wrong_password_is_a_clear_error(ccctl, apply_tenant, dovecot, mailbox_user):
    user, _ = mailbox_user
    apply_tenant(imap=imap_settings(dovecot, user))
    result = fetch(ccctl, "-t", "voyages-lumiere", password="wrong", code=1)
    assert f"IMAP 127.0.0.1:{dovecot.port}: login failed for user {user}" in result.stderr
    assert "AUTHENTICATIONFAILED" in result.stderr or "Authentication failed" in result.stderr


def test_unset_password_variable(ccctl, apply_tenant, dovecot, mailbox_user):
    user, _ = mailbox_user
    apply_tenant(imap=imap_settings(dovecot, user, env="EMAIL_TEST_NOT_SET"))
    result = ccctl("email", "fetch", "-t", "voyages-lumiere", code=1)
    assert "imap.password: environment variable EMAIL_TEST_NOT_SET is not set" in result.stderr


def test_nothing_listening_is_a_clear_error(ccctl, apply_tenant, dovecot, mailbox_user):
    import socket

    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    user, _ = mailbox_user
    apply_tenant(imap={**imap_settings(dovecot, user), "port": port})
    result = fetch(ccctl, "-t", "voyages-lumiere", code=1)
    assert f"IMAP 127.0.0.1:{port}: cannot connect" in result.stderr


def test_missing_folder_and_no_imap_section(ccctl, apply_tenant, dovecot, mailbox_user):
    user, _ = mailbox_user
    apply_tenant(imap=imap_settings(dovecot, user, folder="Nope"))
    result = fetch(ccctl, "-t", "voyages-lumiere", code=1)
    assert "cannot open folder 'Nope'" in result.stderr
    apply_tenant()
    assert "no 'imap' section" in fetch(ccctl, "-t", "voyages-lumiere", code=1).stderr


def test_all_tenants_goes_on_after_one_fails(ccctl, apply_tenant, dovecot, make_mail):
    import json

    user_a, pw = dovecot.add_user()
    apply_tenant(imap=imap_settings(dovecot, user_a))
    apply_tenant(slug="assurance-horizon", imap=imap_settings(dovecot, "someone", env="EMAIL_TEST_WRONG_PW"))
    dovecot.append(user_a, pw, make_mail(1))
    result = fetch(ccctl, "--all-tenants", code=1)
    assert "assurance-horizon" in result.stderr and "login failed" in result.stderr
    assert json.loads(result.stdout)[0]["new"] == 1


def test_fetch_acknowledges_new_threads(ccctl, apply_tenant, dovecot, mailbox_user, make_mail, smtp):
    import json

    user, password = mailbox_user
    apply_tenant(imap=imap_settings(dovecot, user), smtp_port=smtp.port, ack="ack: {enabled: true}")
    dovecot.append(user, password, make_mail(1), make_mail(2, sender="news@example.fr", headers="Precedence: bulk"))
    [row] = json.loads(fetch(ccctl, "-t", "voyages-lumiere").stdout)
    assert (row["new"], row["acks_sent"]) == (2, 1)
    assert [m["to"] for m in smtp.messages] == [["elodie@example.fr"]]
