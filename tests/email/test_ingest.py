"""`ccctl email ingest`: every source, de-duplication, threading, attachments, quarantine, SLA."""

import mailbox
import warnings
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import SAWarning

from ccctl.db.models import Interaction, WorkItem
from ccctl_email.models import EmailAttachment, EmailBlob, EmailMessage, QuarantinedMail


def ingest(ccctl, *sources, input=None, code=0):
    return ccctl.json("email", "ingest", *sources, "-t", "voyages-lumiere", input=input, code=code)


def items(session):
    session.rollback()  # end the read snapshot: see what the CLI committed
    session.expire_all()
    return list(session.scalars(select(WorkItem).order_by(WorkItem.id)))


def test_stdin_creates_customer_item_and_interaction(ccctl, apply_tenant, make_mail, session):
    apply_tenant()
    out = ingest(ccctl, input=make_mail(1).decode())
    assert out["new"] == 1 and out["quarantined"] == 0
    [item] = items(session)
    assert item.channel == "email" and item.subject == "Annulation" and item.external_ref == "<m1@example.fr>"
    assert "annuler ma réservation" in item.body
    customer = ccctl.json("customer", "find", "elodie@example.fr", "-t", "voyages-lumiere")[0]
    assert customer["name"] == "Élodie Martin" and customer["id"] == item.customer_id
    timeline = ccctl.json("customer", "show", str(customer["id"]), "-t", "voyages-lumiere")["timeline"]
    assert [(t["channel"], t["direction"], t["item"]) for t in timeline if t["channel"] == "email"] == \
        [("email", "in", item.id)]


def test_same_message_id_twice_is_one_interaction(ccctl, apply_tenant, make_mail, session, tmp_path):
    apply_tenant()
    (tmp_path / "a.eml").write_bytes(make_mail(1))
    (tmp_path / "b.eml").write_bytes(make_mail(1, body="same id, other bytes"))
    first = ingest(ccctl, str(tmp_path / "a.eml"), str(tmp_path / "b.eml"))
    again = ingest(ccctl, str(tmp_path / "a.eml"))
    assert (first["new"], first["duplicate"], again["duplicate"]) == (1, 1, 1)
    count = session.scalar(select(func.count()).select_from(Interaction).where(Interaction.channel == "email"))
    assert count == 1 and len(items(session)) == 1


def test_maildir_mbox_and_eml_folder(ccctl, apply_tenant, make_mail, session, tmp_path):
    apply_tenant()
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for n in range(1, 4):
        box.add(make_mail(n, sender=f"c{n}@example.fr"))
    mbox = mailbox.mbox(tmp_path / "archive.mbox")
    for n in range(4, 6):
        mbox.add(make_mail(n, sender=f"c{n}@example.fr"))
    mbox.flush()
    (tmp_path / "emls").mkdir()
    (tmp_path / "emls" / "x.eml").write_bytes(make_mail(6, sender="c6@example.fr"))
    out = ingest(ccctl, str(tmp_path / "Maildir"), str(tmp_path / "archive.mbox"), str(tmp_path / "emls"))
    assert out["new"] == 6
    assert {i.external_ref for i in items(session)} == {f"<m{n}@example.fr>" for n in range(1, 7)}


def test_mbox_from_lines_are_unescaped(ccctl, apply_tenant, session, tmp_path):
    """mboxrd: ">From " was "From ", ">>From " was ">From "; the body is ingested as it was written."""
    apply_tenant()
    (tmp_path / "rd.mbox").write_bytes(
        b"From client@example.fr Mon Nov 23 10:00:00 2026\n"
        b"From: Client <client@example.fr>\nSubject: Escapes\nMessage-ID: <rd1@example.fr>\n\n"
        b">From Paris we fly.\n>>From a quoted line.\nA line >From in the middle stays.\n\n"
        b"From other@example.fr Mon Nov 23 10:01:00 2026\n"
        b"From: Other <other@example.fr>\nSubject: Second\nMessage-ID: <rd2@example.fr>\n\nPlain.\n")
    out = ingest(ccctl, str(tmp_path / "rd.mbox"))
    assert out["new"] == 2
    first = items(session)[0]
    assert first.body.splitlines()[:3] == ["From Paris we fly.", ">From a quoted line.",
                                           "A line >From in the middle stays."]


def test_missing_source_is_bad_input(ccctl, apply_tenant, tmp_path):
    apply_tenant()
    result = ccctl("email", "ingest", str(tmp_path / "nope"), "-t", "voyages-lumiere", code=2)
    assert "no such file or folder" in result.stderr
    (tmp_path / "empty").mkdir()
    result = ccctl("email", "ingest", str(tmp_path / "empty"), "-t", "voyages-lumiere", code=2)
    assert "neither a Maildir" in result.stderr


def test_corrupt_mails_are_quarantined_and_the_batch_goes_on(ccctl, apply_tenant, make_mail, session, tmp_path):
    apply_tenant()
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(make_mail(1))
    box.add(b"\x00\x01 not a mail at all \xff")
    box.add(b"Subject: nobody sent this\r\n\r\nbody")
    box.add(b"")
    box.add(make_mail(2, sender="other@example.fr"))
    out = ingest(ccctl, str(tmp_path / "Maildir"))
    assert (out["new"], out["quarantined"]) == (2, 3)
    listed = ccctl.json("email", "quarantine", "list", "-t", "voyages-lumiere")
    reasons = sorted(q["reason"] for q in listed)
    assert reasons == ["empty message", "no header found: this is not an email message",
                       "no usable sender address (From, Reply-To, Sender, Return-Path)"]
    assert all("Maildir" in q["source"] for q in listed)
    shown = ccctl("email", "quarantine", "show", str(listed[0]["id"]), "-t", "voyages-lumiere")
    assert shown.stdout_bytes in (b"\x00\x01 not a mail at all \xff", b"Subject: nobody sent this\r\n\r\nbody", b"")
    # The same broken bytes again are kept once.
    ingest(ccctl, str(tmp_path / "Maildir"))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(QuarantinedMail)) == 3


def test_attachments_are_stored_once_by_content(ccctl, apply_tenant, session):
    apply_tenant()

    def with_pdf(n, name):
        return (f"From: c{n}@example.fr\r\nSubject: pièce {n}\r\nMessage-ID: <att{n}@x>\r\n"
                "Content-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\nContent-Type: text/plain\r\n\r\nvoir PJ\r\n"
                f"--Z\r\nContent-Type: application/pdf; name={name}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                "JVBERi0xLjQgc2FtZSBjb250ZW50\r\n--Z--\r\n")
    ingest(ccctl, input=with_pdf(1, "a.pdf"))
    ingest(ccctl, input=with_pdf(2, "b.pdf"))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(EmailAttachment)) == 2
    [blob] = session.scalars(select(EmailBlob)).all()
    assert blob.data == b"%PDF-1.4 same content" and blob.size == len(blob.data)


def test_threading_by_references_then_token_then_subject_tag(ccctl, apply_tenant, make_mail, session):
    apply_tenant()
    ingest(ccctl, input=make_mail(1).decode())
    [item] = items(session)
    by_ref = make_mail(2, subject="Re: Annulation", headers="In-Reply-To: <m1@example.fr>")
    out = ingest(ccctl, input=by_ref.decode())
    assert out["joined"] == 1
    # A client that dropped the headers but quoted our footer token.
    from ccctl_email.threads import item_token

    by_token = make_mail(3, subject="encore moi", body=f"> [ref:{item_token(item)}]")
    assert ingest(ccctl, input=by_token.decode())["joined"] == 1
    by_tag = make_mail(4, subject=f"Question [#{item.id}]")
    assert ingest(ccctl, input=by_tag.decode())["joined"] == 1
    session.rollback()
    how = dict(session.execute(select(EmailMessage.message_id, EmailMessage.matched_by)).all())
    assert how == {"<m1@example.fr>": "new", "<m2@example.fr>": "references", "<m3@example.fr>": "token",
                   "<m4@example.fr>": "subject-tag"}
    assert len(items(session)) == 1


def test_forged_token_and_strangers_subject_tag_start_new_items(ccctl, apply_tenant, make_mail, session):
    apply_tenant()
    ingest(ccctl, input=make_mail(1).decode())
    [item] = items(session)
    forged = make_mail(2, body=f"[ref:ccctl.{item.id}.000000000000]", subject="x")
    stranger = make_mail(3, sender="intruder@example.com", subject=f"Re: [#{item.id}] give me the file")
    out = ingest(ccctl, input=forged.decode())
    out2 = ingest(ccctl, input=stranger.decode())
    assert out["new"] == 1 and out2["new"] == 1
    assert len(items(session)) == 3


def test_reply_reopens_a_closed_item(ccctl, apply_tenant, make_mail, session):
    apply_tenant()
    ingest(ccctl, input=make_mail(1).decode())
    [item] = items(session)
    item.state, item.outcome = "closed", "resolved"
    session.commit()
    ingest(ccctl, input=make_mail(2, headers="References: <m1@example.fr>").decode())
    assert items(session)[0].state == "open"
    steps = session.scalars(select(Interaction.summary).where(Interaction.channel == "queue")).all()
    assert any("reopened (closed)" in s for s in steps)


def test_two_replies_in_one_chunk_reopen_a_closed_item_once(ccctl, apply_tenant, make_mail, session, tmp_path):
    apply_tenant()
    ingest(ccctl, input=make_mail(1).decode())
    [item] = items(session)
    item.state, item.outcome = "closed", "resolved"
    session.commit()
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(make_mail(2, headers="References: <m1@example.fr>"))
    box.add(make_mail(3, headers="In-Reply-To: <m1@example.fr>"))
    out = ingest(ccctl, str(tmp_path / "Maildir"))
    assert (out["new"], out["joined"]) == (0, 2)
    assert items(session)[0].state == "open"
    steps = session.scalars(select(Interaction.summary).where(Interaction.channel == "queue")).all()
    assert sum("reopened" in s for s in steps) == 1


def test_email_sla_sets_the_due_time(ccctl, apply_tenant, make_mail, session):
    apply_tenant(extra="sla: 3d")
    ingest(ccctl, input=make_mail(1).decode())
    [item] = items(session)
    # Always-open business hours in the test tenant: 3 days of opening time = 3 calendar days.
    assert item.due_at - item.created_at == timedelta(days=3)


def test_tenant_without_email_enabled_is_refused(ccctl, apply_tenant, make_mail, tmp_path):
    path = apply_tenant()
    path.write_text(path.read_text().replace("    enabled: true", "    enabled: false"))
    ccctl("tenant", "apply", "-f", str(path))
    result = ccctl("email", "ingest", "-t", "voyages-lumiere", input=make_mail(1).decode(), code=1)
    assert "does not enable the email plugin" in result.stderr



def test_two_ingesters_racing_on_one_message_store_it_once(app, apply_tenant, make_mail):
    """An MTA pipe and a fetch delivering the same message at once: one stores it, the other sees a duplicate."""
    from ccctl_email.config import email_config
    from ccctl_email.ingest import Ingester
    from ccctl_email.mime import parse

    apply_tenant()
    raw = make_mail(1)
    with app.session() as first, app.session() as second:
        tenant_a, tenant_b = app.tenant(first, "voyages-lumiere"), app.tenant(second, "voyages-lumiere")
        first.commit(), second.commit()
        a = Ingester(app.context(first, tenant_a), email_config(tenant_a))
        b = Ingester(app.context(second, tenant_b), email_config(tenant_b))
        assert a.ingest(raw, "fetch").outcome == "new"
        first.commit()
        # b had looked the Message-ID up before a committed: it goes straight to storing.
        assert b._one(parse(raw), raw, "pipe").outcome == "duplicate"
        second.commit()
        assert b.counts["quarantined"] == 0
    with app.session() as session:
        assert session.scalar(select(func.count()).select_from(EmailMessage)) == 1
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 1
        assert session.scalar(select(func.count()).select_from(Interaction).where(Interaction.channel == "email")) == 1


def test_a_chunk_racing_another_ingester_is_redone_message_by_message(app, apply_tenant, make_mail):
    """The bulk INSERT of a chunk hits a Message-ID stored meanwhile: that one is a duplicate, the rest stored."""
    from ccctl_email.config import email_config
    from ccctl_email.ingest import Ingester
    from ccctl_email.mime import parse

    apply_tenant()
    raws = [make_mail(1), make_mail(2, sender="other@example.fr"), make_mail(3, headers="In-Reply-To: <m2@example.fr>")]
    with app.session() as first, app.session() as second:
        tenant_a, tenant_b = app.tenant(first, "voyages-lumiere"), app.tenant(second, "voyages-lumiere")
        first.commit(), second.commit()
        a = Ingester(app.context(first, tenant_a), email_config(tenant_a))
        b = Ingester(app.context(second, tenant_b), email_config(tenant_b))
        assert a.ingest(raws[0], "fetch").outcome == "new"
        first.commit()
        # b had looked the chunk's Message-IDs up before a committed: it goes straight to storing them.
        with warnings.catch_warnings():
            warnings.simplefilter("error", SAWarning)  # no stale rows of the rolled-back bulk INSERT left behind
            done = b._store_chunk([(n, parse(raw), raw, "pipe") for n, raw in enumerate(raws)])
        second.commit()
        assert [r.outcome for _n, r in done] == ["duplicate", "new", "joined"]
        assert done[2][1].item_id == done[1][1].item_id  # the reply found its thread, started in the same chunk
        assert b.counts["quarantined"] == 0
    with app.session() as session:
        assert session.scalar(select(func.count()).select_from(EmailMessage)) == 3
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 2
        assert session.scalar(select(func.count()).select_from(Interaction).where(Interaction.channel == "email")) == 3


def test_a_chunk_threads_replies_to_messages_earlier_in_it(ccctl, apply_tenant, make_mail, session, tmp_path):
    """One Maildir: a message, a reply to it, the same Message-ID again; all in one chunk."""
    apply_tenant()
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(make_mail(1))
    box.add(make_mail(2, headers="In-Reply-To: <m1@example.fr>"))
    box.add(make_mail(1, body="same id again"))
    out = ingest(ccctl, str(tmp_path / "Maildir"))
    assert (out["new"], out["joined"], out["duplicate"]) == (1, 1, 1)
    [item] = items(session)
    rows = session.execute(select(EmailMessage.message_id, EmailMessage.item_id, EmailMessage.matched_by)
                           .order_by(EmailMessage.message_id)).all()
    assert [tuple(r) for r in rows] == [("<m1@example.fr>", item.id, "new"), ("<m2@example.fr>", item.id, "references")]


def test_maildir_files_come_in_delivery_order_not_name_order(tmp_path):
    """Maildir names do not zero-pad their microseconds and counters: "M99999" was written before
    "M100000" in the same second, though it sorts after it as text. A reply must follow its original."""
    from ccctl_email.sources import _maildir_files

    names = ["1796544814.M100000P29871Q3.vm", "1796544814.M99999P29871Q2.vm", "1796544813.M999999P29871Q1.vm",
             "1796544814.M100000P29871Q10.vm:2,S", "1796544815.V801I2M5.host", "notes.eml",
             "1796544814.M100000P29871Q9.vm"]
    for n, name in enumerate(names):
        folder = tmp_path / "Maildir" / ("cur" if ":2," in name else "new")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"Subject: {n}\n\nx\n")
    ordered = [path.rsplit("/", 1)[-1] for path in _maildir_files(tmp_path / "Maildir")]
    assert ordered == ["1796544813.M999999P29871Q1.vm", "1796544814.M99999P29871Q2.vm",
                       "1796544814.M100000P29871Q3.vm", "1796544814.M100000P29871Q9.vm",
                       "1796544814.M100000P29871Q10.vm:2,S", "1796544815.V801I2M5.host", "notes.eml"]
