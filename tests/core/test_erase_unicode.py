"""Erase means erased: a person written in upper case with accents, surname first, with their phone
spelt several ways, in someone else's closing notes, a FAQ search, an attachment and quarantined
mail; export shows all of it; after erase none of it is in the database file (SQLite, before and
after VACUUM) or in any PostgreSQL row."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from reports.test_privacy import database_text

from ccctl.privacy_match import Scrubber, fold

T = "voyages-lumiere"
NAME = "Zoé Quixote-Érasure"
EMAIL = "zoe.qe@example.fr"
PHONE = "+33698765432"
# Lower-cased bytes that would betray her (file bytes are lower-cased ASCII-wise only).
NEEDLES = [b"quixote", b"erasure", "érasure".encode(), "Érasure".encode().lower(), b"\\u00e9rasure",
           b"zoe.qe", b"698765432", b"98 76 54 32", b"98.76.54.32", b"98-76-54-32"]


def mail(sender: str, subject: str, body: str, n: int, extra: str = "") -> str:
    return (f"From: {sender}\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <u{n}@example.fr>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n{extra}\r\n{body}\r\n")


@pytest.fixture
def zoe(example_tenants, app, tmp_path):
    ccctl = example_tenants
    me = ccctl.json("customer", "add", NAME, "--email", EMAIL, "--phone", "06 98 76 54 32", "-t", T)
    ccctl("email", "ingest", "-t", T, "--no-ack", input=mail(f"{NAME} <{EMAIL}>", "Mon voyage", "Bonjour", 1))
    # Paul's item, closed with a note naming her in capitals, surname first, phone with dots.
    ccctl("email", "ingest", "-t", T, "--no-ack", input=mail("Paul <paul@example.fr>", "Groupe", "Bonjour", 2))
    [paul_item] = [i for i in ccctl.json("queue", "list", "-t", T) if i["subject"] == "Groupe"]
    ccctl("agent", "add", "marie", "--serves", T)
    ccctl("item", "close", str(paul_item["id"]), "--outcome", "resolved", "--agent", "marie", "-t", T,
          "--note", "Rappeler ZOÉ QUIXOTE-ÉRASURE au 06.98.76.54.32 (ou QUIXOTE-ÉRASURE, Zoé: +33 (0)6 98 76 54 32)")
    # An attachment from Paul: her name in the file name, her number (dashes) in its text.
    attachment = ("From: Paul <paul@example.fr>\r\nSubject: liste\r\nMessage-ID: <u3@example.fr>\r\n"
                  "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nvoir PJ\r\n"
                  "--B\r\nContent-Type: text/plain; charset=utf-8\r\n"
                  "Content-Disposition: attachment; filename=\"passeport-zoé-quixote-érasure.txt\"\r\n\r\n"
                  "Passagers: Paul, zoe quixote erasure 06-98-76-54-32\r\n--B--\r\n")
    ccctl("email", "ingest", "-t", T, "--no-ack", input=attachment.encode())
    # Quarantined mail: one with her address only inside base64, one naming her in plain UTF-8.
    hidden = base64.b64encode(f"Ici {NAME}, écrivez à {EMAIL}".encode()).decode()
    ccctl("email", "ingest", "-t", T, "--no-ack",
          input=f"Subject: sans expéditeur\r\nContent-Transfer-Encoding: base64\r\n\r\n{hidden}\r\n".encode())
    ccctl("email", "ingest", "-t", T, "--no-ack",
          input=f"Subject: {NAME.upper()} encore\r\n\r\nlettre cassée\r\n".encode())
    with app.session() as s:  # a FAQ search typed with her name
        from ccctl_selfhelp.events import record

        record(s, app.tenant(s, T), "search", query=f"remboursement zoé quixote-érasure", results=0)
        s.commit()
    return me["id"]


def test_matching_folds_case_accents_order_and_phone_spellings():
    scrubber = Scrubber([NAME], [EMAIL], [PHONE])
    for text in ["ZOÉ QUIXOTE-ÉRASURE", "quixote érasure, zoe", "Zoe Quixote Erasure", "ZOE.QE@EXAMPLE.FR",
                 "06.98.76.54.32", "+33 (0)6 98 76 54 32", "0033698765432", "06-98-76-54-32", "0698765432"]:
        assert scrubber.text(f"avant {text} après") == "avant *** après", text
    for text in ["Zoé", "Quixote", "Zoé Quixoteries", "06 98 76 54 33", "a Zoé Martin"]:
        assert scrubber.text(text) == text
    assert scrubber.text("tel:0698765432.") == "tel:***."
    assert fold("ÉÖßİ") == "eoßi"  # one character for one: offsets hold


def test_export_then_erase_leaves_nothing(example_tenants, zoe, db_url, app):
    ccctl = example_tenants
    exported = ccctl.json("customer", "export", str(zoe), "-t", T)
    mentioned = {m["table"] for m in exported["mentions"]}
    assert {"interactions", "selfhelp_events", "email_attachments", "email_blobs", "email_quarantine"} <= mentioned, \
        mentioned
    [hidden] = exported["customer"]["plugins"]["email"]["quarantined"]
    assert "sans exp" in hidden["raw"]
    assert all(needle in database_text(db_url, vacuum=False) for needle in (b"quixote", b"98.76.54.32"))

    ccctl("customer", "erase", str(zoe), "-t", T, "--yes")
    assert [n for n in NEEDLES if n in database_text(db_url, vacuum=False)] == []
    assert [n for n in NEEDLES if n in database_text(db_url)] == []  # VACUUM on SQLite: no free page keeps her
    with app.session() as s:
        from ccctl_email.models import EmailAttachment, QuarantinedMail

        assert s.scalar(select(EmailAttachment.filename)) == "passeport-***.txt"
        assert len(s.scalars(select(QuarantinedMail)).all()) == 1  # the base64 one deleted, the other masked
    paul = [i for i in ccctl.json("queue", "list", "-t", T, "--state", "closed") if i["subject"] == "Groupe"]
    assert paul  # Paul's item stays, only her mention went
