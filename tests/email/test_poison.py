"""Poison never blocks: a message that cannot be parsed, stored or acknowledged is quarantined (or
its ack failed) and the batch, the mailbox position and the other tenants go on, alike on SQLite
and PostgreSQL."""

import json
import mailbox

import pytest
from sqlalchemy import select, text

from ccctl.db.models import Customer, WorkItem
from ccctl_email.ingest import store_failure
from ccctl_email.mime import decode_header
from ccctl_email.models import EmailAttachment, EmailMessage, ImapState, OutboundMail, QuarantinedMail

ABSURD_DATE = (b"From: Paul <paul@example.fr>\r\nSubject: date from nowhere\r\nMessage-ID: <absurd@example.fr>\r\n"
               b"Date: 01 Jan 2026 00:00:00 +99999999999999999999\r\n\r\nbody\r\n")
ACK_ON = "ack: {enabled: true}"


def ingest(ccctl, *sources, input=None, code=0):
    return ccctl.json("email", "ingest", *sources, "-t", "voyages-lumiere", input=input, code=code)


def fresh(session):
    session.rollback()
    session.expire_all()
    return session


def maildir(tmp_path, *messages, name="Maildir"):
    box = mailbox.Maildir(tmp_path / name, create=True)
    for raw in messages:
        box.add(raw)
    return str(tmp_path / name)


def test_absurd_date_offset_is_ingested_and_the_batch_goes_on(ccctl, apply_tenant, make_mail, session, tmp_path):
    apply_tenant()
    out = ingest(ccctl, maildir(tmp_path, make_mail(1), ABSURD_DATE, make_mail(2, sender="b@example.fr")))
    assert (out["new"], out["quarantined"]) == (3, 0)
    refs = {i.external_ref for i in fresh(session).scalars(select(WorkItem))}
    assert refs == {"<m1@example.fr>", "<absurd@example.fr>", "<m2@example.fr>"}


def test_imap_poison_keeps_the_position_and_other_tenants(ccctl, apply_tenant, dovecot, make_mail, session):
    env = {"EMAIL_TEST_IMAP_PW": dovecot.password}
    user_a, _ = dovecot.add_user()
    user_b, _ = dovecot.add_user()
    for slug, user in (("voyages-lumiere", user_a), ("assurance-horizon", user_b)):
        apply_tenant(slug=slug, imap={"host": "127.0.0.1", "port": dovecot.port, "user": user,
                                      "password": "'${EMAIL_TEST_IMAP_PW}'", "ssl": "false"})
    dovecot.append(user_a, dovecot.password, make_mail(1), ABSURD_DATE, make_mail(2, sender="b@example.fr"))
    dovecot.append(user_b, dovecot.password, make_mail(3))
    rows = json.loads(ccctl("email", "fetch", "--all-tenants", "--format", "json", env=env).stdout)
    assert {r["tenant"]: r["new"] for r in rows} == {"voyages-lumiere": 3, "assurance-horizon": 1}
    positions = {s.account.split("@")[0]: s.last_uid for s in fresh(session).scalars(select(ImapState))}
    assert positions == {user_a: 3, user_b: 1}
    again = json.loads(ccctl("email", "fetch", "--all-tenants", "--format", "json", env=env).stdout)
    assert [r["new"] + r["duplicate"] + r["quarantined"] for r in again] == [0, 0]


def test_nul_and_control_characters_store_alike_on_every_database(ccctl, apply_tenant, session, tmp_path):
    apply_tenant()
    nul_id = b"From: a@example.fr\r\nSubject: x\r\nMessage-ID: <nul\x00id@example.fr>\r\n\r\nbody\r\n"
    nul_subject = (b"From: Zo\x00e <b@example.fr>\r\nSubject: ref\x00 \x1b[2Jcleared\r\nMessage-ID: <s@example.fr>\r\n"
                   b"References: <r\x00@x>\r\n\r\nbo\x00dy\r\n")
    out = ingest(ccctl, maildir(tmp_path, nul_id, nul_subject))
    assert (out["new"], out["quarantined"]) == (2, 0)
    rows = {m.message_id: m.subject for m in fresh(session).scalars(select(EmailMessage))}
    assert rows == {"<nulid@example.fr>": "x", "<s@example.fr>": "ref \ufffd[2Jcleared"}
    assert "\x00" not in session.scalar(select(WorkItem.body).where(WorkItem.external_ref == "<s@example.fr>"))
    again = ingest(ccctl, maildir(tmp_path, nul_id, name="again"))
    assert again["duplicate"] == 1  # the cleaned id is the key: the same message again is known


def test_long_sender_address_stores_alike_on_every_database(ccctl, apply_tenant, session):
    """The history's actor column is 100 characters: PostgreSQL refused a longer sender, SQLite did not."""
    apply_tenant()
    sender = "x" * 150 + "@example.fr"
    out = ingest(ccctl, input=f"From: {sender}\r\nSubject: long\r\nMessage-ID: <long@x>\r\n\r\nbody\r\n")
    assert (out["new"], out["quarantined"]) == (1, 0)
    too_long = "y" * 300 + "@example.fr"  # beyond RFC 5321's 254: no address, the next header is used
    out = ingest(ccctl, input=f"From: {too_long}\r\nReply-To: ok@example.fr\r\nSubject: s\r\n"
                              "Message-ID: <long2@x>\r\n\r\nbody\r\n")
    assert out["new"] == 1
    assert fresh(session).scalar(select(EmailMessage.from_addr).where(EmailMessage.message_id == "<long2@x>")) \
        == "ok@example.fr"


def test_store_failure_names_the_message_not_the_sql_or_the_person(session):
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as caught:
        with session.begin_nested():
            session.execute(text("INSERT INTO no_such_table (who) VALUES ('zoe.quixote@example.fr')"))
    reason = store_failure(caught.value, "<m1@example.fr>")
    assert reason.startswith("could not store <m1@example.fr>: database error ")
    assert "zoe" not in reason and "INSERT" not in reason and "no_such_table" not in reason


def test_a_hook_failing_on_one_message_quarantines_it_without_personal_data(ccctl_with, apply_tenant, make_mail,
                                                                           tmp_path):
    from ccctl.hookspecs import hookimpl
    from ccctl.plugins import get_plugin_manager

    class Exploding:
        @hookimpl
        def ccctl_item_created(self, item, ctx):
            if "boom" in item.subject:
                raise RuntimeError(f"cannot handle {item.body} from {item.attributes['from']}")

    ccctl = ccctl_with(get_plugin_manager(extra=[("exploding", Exploding())]))
    path = apply_tenant()
    path.write_text(path.read_text() + "  exploding:\n    enabled: true\n")
    ccctl("tenant", "apply", "-f", str(path))
    out = ingest(ccctl, maildir(tmp_path, make_mail(1), make_mail(2, subject="boom", sender="secret@example.fr"),
                                make_mail(3, sender="c@example.fr")))
    assert (out["new"], out["quarantined"]) == (2, 1)
    [row] = ccctl.json("email", "quarantine", "list", "-t", "voyages-lumiere")
    assert row["reason"] == "could not store <m2@example.fr>: RuntimeError"


def test_raw_utf8_attachment_filename_is_ingested(ccctl, apply_tenant, session):
    apply_tenant()
    raw = ("From: a@example.fr\r\nSubject: facture\r\nMessage-ID: <pj@x>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n"
           "--BB\r\nContent-Type: application/pdf; name=\"facture-é.pdf\"\r\n"
           "Content-Disposition: attachment; filename=\"facture-é.pdf\"\r\n\r\n%PDF\r\n--BB--\r\n")
    out = ingest(ccctl, input=raw.encode())
    assert (out["new"], out["quarantined"]) == (1, 0)
    assert [a.filename for a in fresh(session).scalars(select(EmailAttachment))] == ["facture-é.pdf"]


@pytest.mark.parametrize("from_header", [
    "=?utf-8?q?Evil=0D=0ABcc:_victim@example.com?= <evil@example.org>",
    "=?utf-8?q?victim@example.com?= <evil@example.org>",
    "=?utf-8?q?Victim_=3Cvictim@example.com=3E=2C?= <evil@example.org>",
])
def test_encoded_display_name_cannot_forge_the_sender(ccctl, apply_tenant, session, from_header):
    apply_tenant()
    out = ingest(ccctl, input=f"From: {from_header}\r\nSubject: s\r\nMessage-ID: <f@x>\r\n\r\nbody\r\n")
    assert out["new"] == 1
    assert fresh(session).scalar(select(EmailMessage.from_addr)) == "evil@example.org"
    [customer] = session.scalars(select(Customer))
    assert "\n" not in customer.name and "\r" not in customer.name


def test_ack_to_utf8_address_fails_cleanly_without_smtputf8(ccctl, apply_tenant, make_mail, smtp, tmp_path):
    apply_tenant(smtp_port=smtp.port, ack=ACK_ON)
    out = ingest(ccctl, maildir(tmp_path, make_mail(1, sender="Jörg <jörg@bücher.example>"),
                                make_mail(2, sender="ana@example.fr"), make_mail(3, sender="joerg@bücher.example")))
    assert (out["new"], out["acks_sent"], out["acks_failed"]) == (3, 2, 1)
    [failed] = ccctl.json("email", "outbox", "--status", "failed", "-t", "voyages-lumiere")
    assert failed["to"] == "jörg@bücher.example" and "SMTPUTF8" in failed["error"]
    # The IDN domain with an ASCII local part goes out in punycode; nothing blocks the outbox.
    assert sorted(r for m in smtp.messages for r in m["to"]) == ["ana@example.fr", "joerg@xn--bcher-kva.example"]
    assert ccctl.json("email", "send", "-t", "voyages-lumiere") == {
        "tenant": "voyages-lumiere", "sent": 0, "failed": 0, "deferred": 0, "recovered": 0}
    later = ingest(ccctl, input=make_mail(4, sender="later@example.fr").decode())
    assert later["acks_sent"] == 1


def test_ack_to_utf8_address_is_sent_with_smtputf8(ccctl, apply_tenant, make_mail, start_smtp, session):
    sink = start_smtp(utf8=True)
    apply_tenant(smtp_port=sink.port, ack=ACK_ON)
    out = ingest(ccctl, input=make_mail(1, sender="Jörg <jörg@bücher.example>").decode())
    assert (out["acks_sent"], out["acks_failed"]) == (1, 0)
    [sent] = sink.messages
    assert sent["to"] == ["jörg@bücher.example"]
    assert decode_header(sent["message"]["To"]) == "jörg@bücher.example"  # raw UTF-8, no encoded word
    assert fresh(session).scalar(select(OutboundMail.status)) == "sent"


def test_mta_pipe_exits_zero_once_the_message_is_kept(ccctl, apply_tenant, make_mail, smtp):
    """An MTA pipe: exit 0 for a message stored, known or quarantined, even when the ack must wait."""
    port = smtp.port
    smtp.stop()
    apply_tenant(smtp_port=port, ack=ACK_ON)
    result = ccctl("email", "ingest", "-t", "voyages-lumiere", "--format", "json", input=make_mail(1).decode())
    assert json.loads(result.stdout)["new"] == 1 and "cannot connect" in result.stderr
    assert [o["status"] for o in ccctl.json("email", "outbox", "-t", "voyages-lumiere")] == ["queued"]
    junk = ccctl("email", "ingest", "-t", "voyages-lumiere", "--format", "json", input="Subject: no sender\n\nx")
    assert json.loads(junk.stdout)["quarantined"] == 1


def test_all_tenants_goes_on_after_an_unexpected_error(ccctl, apply_tenant, dovecot, make_mail, monkeypatch):
    """Fault injection: whatever breaks one tenant's fetch, the next tenants still get their mail."""
    from ccctl_email import imap

    real = imap.fetch_tenant

    def breaks_for_one(ctx, *args, **kwargs):
        if ctx.tenant.slug == "assurance-horizon":
            raise KeyError("zoe@example.fr")  # text that must not reach the log
        return real(ctx, *args, **kwargs)

    monkeypatch.setattr(imap, "fetch_tenant", breaks_for_one)
    env = {"EMAIL_TEST_IMAP_PW": dovecot.password}
    users = {}
    for slug in ("assurance-horizon", "voyages-lumiere"):
        users[slug], _ = dovecot.add_user()
        apply_tenant(slug=slug, imap={"host": "127.0.0.1", "port": dovecot.port, "user": users[slug],
                                      "password": "'${EMAIL_TEST_IMAP_PW}'", "ssl": "false"})
    dovecot.append(users["voyages-lumiere"], dovecot.password, make_mail(1))
    result = ccctl("email", "fetch", "--all-tenants", "--format", "json", env=env, code=1)
    assert [r["tenant"] for r in json.loads(result.stdout)] == ["voyages-lumiere"]
    assert "tenant assurance-horizon: skipped after an unexpected KeyError" in result.stderr
    assert "zoe@" not in result.stderr
