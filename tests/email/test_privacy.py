"""Export, erasure and merge reach the email plugin's own tables."""

import json

from sqlalchemy import func, select

from ccctl_email.models import EmailAttachment, EmailBlob, EmailMessage, OutboundMail


def with_attachment(n, sender, data="JVBERi0xLjQgc2hhcmVk"):
    return (f"From: {sender}\r\nSubject: pj {n}\r\nMessage-ID: <p{n}@x>\r\n"
            "Content-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\nContent-Type: text/plain\r\n\r\nvoir PJ\r\n"
            f"--Z\r\nContent-Type: application/pdf; name=f{n}.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{data}\r\n--Z--\r\n")


def count(session, table):
    session.rollback()
    try:
        return session.scalar(select(func.count()).select_from(table))
    finally:
        session.rollback()  # hold no read snapshot: erasure checkpoints the SQLite WAL


def test_export_lists_messages_attachments_and_outbound(ccctl, apply_tenant, smtp):
    apply_tenant(smtp_port=smtp.port, ack="ack: {enabled: true}")
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=with_attachment(1, "elodie@example.fr"))
    data = json.loads(ccctl("customer", "export", "1", "-t", "voyages-lumiere").stdout)
    part = data["customer"]["plugins"]["email"]
    assert [(m["direction"], m["subject"][:4]) for m in part["messages"]] == [("in", "pj 1"), ("out", "Votr")]
    assert part["messages"][0]["message_id"] == "<p1@x>"
    assert part["messages"][0]["attachments"][0]["filename"] == "f1.pdf"
    assert part["outbound"][0]["kind"] == "ack" and part["outbound"][0]["status"] == "sent"


def test_erase_removes_rows_and_unshared_blobs(ccctl, apply_tenant, smtp, session):
    apply_tenant(smtp_port=smtp.port, ack="ack: {enabled: true}")
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=with_attachment(1, "elodie@example.fr"))
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=with_attachment(2, "elodie@example.fr", "b3duIGZpbGU="))
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=with_attachment(3, "other@example.fr"))
    assert count(session, EmailBlob) == 2
    ccctl("customer", "erase", "1", "--yes", "-t", "voyages-lumiere")
    assert count(session, EmailBlob) == 1  # the shared PDF stays for the other customer
    assert session.scalar(select(EmailBlob.data)) == b"%PDF-1.4 shared"
    assert count(session, EmailAttachment) == 1
    assert session.scalars(select(EmailMessage.from_addr).where(EmailMessage.direction == "in")).all() == \
        ["other@example.fr"]
    assert session.scalars(select(OutboundMail.to_addr)).all() == ["other@example.fr"]


def test_merge_moves_email_rows(ccctl, apply_tenant, make_mail, session):
    apply_tenant()
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=make_mail(1, sender="a@example.fr").decode())
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=make_mail(2, sender="b@example.fr").decode())
    merged = ccctl.json("customer", "merge", "1", "2", "-t", "voyages-lumiere")
    session.rollback()
    assert set(session.scalars(select(EmailMessage.customer_id))) == {2}
    ccctl("customer", "unmerge", str(merged["merge_id"]), "-t", "voyages-lumiere")
    session.rollback()
    assert sorted(session.scalars(select(EmailMessage.customer_id))) == [1, 2]  # each message back with its sender
    ccctl("customer", "merge", "1", "2", "-t", "voyages-lumiere")
    session.rollback()
    # Mail from the merged address now lands on the surviving customer.
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=make_mail(3, sender="a@example.fr").decode())
    session.rollback()
    assert set(session.scalars(select(EmailMessage.customer_id))) == {2}
