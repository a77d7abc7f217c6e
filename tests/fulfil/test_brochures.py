"""Brochures: e-mailed with the PDF through a real SMTP server, batched for post and exported once,
the follow-up scheduled in business days and dropped when the customer gets in touch."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ccctl.db.models import Interaction, WorkItem
from fulfil_helpers import PDF, apply, new_item

PARIS = ZoneInfo("Europe/Paris")


def follow_ups(app) -> list[WorkItem]:
    with app.session() as s:
        query = select(WorkItem).where(WorkItem.channel == "fulfil").order_by(WorkItem.id)
        return list(s.scalars(query))


def test_item_close_send_mails_the_pdf_through_smtp_and_records_it(app, ccctl, tmp_path, pdfs, smtp_server):
    apply(ccctl, tmp_path / "clients", pdfs, smtp_port=smtp_server.port)
    item = new_item(app, "voyages", "r1")
    closed = ccctl("item", "close", str(item), "--agent", "marie", "--outcome", "info-sent", "--send", "brochure:japon", "-t", "voyages")
    assert "brochure japon (fr) by email" in closed.stderr
    assert smtp_server.messages == []  # queued in the email outbox: nothing sent inside the command
    ccctl("email", "send", "-t", "voyages")
    [message] = smtp_server.messages
    assert message["To"] == "anna@example.fr" and message["Subject"].startswith("Votre brochure Circuit Japon")
    assert "Bonjour Anna Petit, voici la brochure Circuit Japon." in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and attachment.get_filename() == "japon-fr.pdf"
    assert attachment.get_content() == PDF + b"japon-fr"
    with app.session() as s:
        history = [i.summary for i in s.scalars(select(Interaction).where(
            Interaction.item_id == item, Interaction.channel.in_(["fulfil", "email"])).order_by(Interaction.id))]
    assert history[0] == "Brochure Circuit Japon (fr) e-mailed to anna@example.fr"
    assert any(h.startswith("Brochure: Votre brochure Circuit Japon") for h in history)  # sent, by the email plugin
    [follow] = follow_ups(app)
    assert follow.queue == "rappels" and follow.attributes["follow_up_of"] == item
    assert "e-mailed to anna@example.fr" in follow.subject and "Demande d'information" in follow.body
    listed = ccctl.json("queue", "list", "-t", "voyages", "--queue", "rappels")
    assert [row["subject"] for row in listed] == [follow.subject]


def test_the_customer_s_language_picks_the_file_and_a_resend_is_harmless(app, ccctl, tmp_path, pdfs, smtp_server):
    apply(ccctl, tmp_path / "clients", pdfs, smtp_port=smtp_server.port)
    item = new_item(app, "voyages", "r1", attributes={"language": "en"})
    ccctl("item", "close", str(item), "--agent", "marie", "--outcome", "info-sent", "--send", "brochure:japon", "-t", "voyages")
    ccctl("email", "send", "-t", "voyages")
    [message] = smtp_server.messages
    assert [a.get_filename() for a in message.iter_attachments()] == ["japon-en.pdf"]
    assert len(ccctl.json("fulfil", "list", "-t", "voyages")) == 1


def test_follow_up_due_time_skips_a_weekend_and_a_public_holiday(app, pdfs, ccctl, tmp_path):
    from ccctl.db.models import Tenant
    from ccctl_fulfil.fulfil import fulfil

    apply(ccctl, tmp_path / "clients", pdfs)
    cases = {  # request time (Paris) -> the follow-up's not_before (Paris): 3 business days later, at opening
        datetime(2026, 12, 18, 16, 0, tzinfo=PARIS): datetime(2026, 12, 23, 9, 0, tzinfo=PARIS),  # Fri: a weekend
        datetime(2026, 12, 23, 11, 0, tzinfo=PARIS): datetime(2026, 12, 29, 9, 0, tzinfo=PARIS),  # Christmas (Fri)
        datetime(2027, 5, 5, 20, 0, tzinfo=PARIS): datetime(2027, 5, 11, 9, 0, tzinfo=PARIS),  # Ascension (Thu)
        datetime(2027, 4, 27, 11, 0, tzinfo=PARIS): datetime(2027, 4, 30, 9, 0, tzinfo=PARIS),  # none in the way
    }
    from ccctl.queue.items import get_item

    for n, (asked, expected) in enumerate(cases.items()):
        item = new_item(app, "voyages", f"r{n}")
        with app.transaction() as session:
            ctx = app.context(session, session.scalar(select(Tenant).where(Tenant.slug == "voyages")))
            row = fulfil(ctx, get_item(ctx, item), "japon", now=asked)
            follow = session.get(WorkItem, row.follow_up_item_id)
            assert follow.not_before.astimezone(PARIS) == expected, asked


def test_postal_requests_are_exported_once_per_address(app, ccctl, tmp_path, pdfs):
    apply(ccctl, tmp_path / "clients", pdfs)
    address = {"address": "3 rue des Lilas", "postcode": "69003", "city": "Lyon", "country": "FR"}
    first = new_item(app, "voyages", "p1", customer_attributes=address)
    second = new_item(app, "voyages", "p2")
    for item in (first, second):
        ccctl("item", "close", str(item), "--agent", "marie", "--outcome", "info-sent", "--send", "brochure:perou", "-t", "voyages")
    today = datetime.now(PARIS).strftime("%Y-%m-%d")
    out = tmp_path / "batch.csv"
    ccctl("fulfil", "export", "-t", "voyages", "--date", today, "-o", str(out))
    [line] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert (line["name"], line["address"], line["postcode"], line["city"]) == ("Anna Petit", "3 rue des Lilas",
                                                                              "69003", "Lyon")
    assert line["documents"] == "perou-fr+perou-fr" and len(line["requests"].split("+")) == 2
    again = ccctl("fulfil", "export", "-t", "voyages", "--date", today)
    assert list(csv.DictReader(io.StringIO(again.stdout))) == []  # each address once
    assert {r["state"] for r in ccctl.json("fulfil", "list", "-t", "voyages")} == {"exported"}
    assert ccctl("fulfil", "export", "-t", "autre", "--date", today).stdout.strip() == ",".join(
        ["name", "address", "address2", "postcode", "city", "country", "documents", "requests"])


def test_bad_sends_are_refused_and_close_nothing(app, ccctl, tmp_path, pdfs):
    apply(ccctl, tmp_path / "clients", pdfs)
    item = new_item(app, "voyages", "b1")
    unknown = ccctl("item", "close", str(item), "--agent", "marie", "--outcome", "info-sent", "--send", "brochure:chine", "-t", "voyages",
                    code=2)
    assert "no document 'chine'" in unknown.stderr and "japon, perou" in unknown.stderr
    assert "no plugin" in ccctl("item", "close", str(item), "--agent", "marie", "--outcome", "info-sent", "--send", "fax:cover", "-t", "voyages",
                                code=2).stderr
    assert "KIND:NAME" in ccctl("item", "close", str(item), "--agent", "marie", "--outcome", "info-sent", "--send", "japon", "-t", "voyages",
                                code=2).stderr
    no_address = ccctl("item", "close", str(item), "--agent", "marie", "--outcome", "info-sent", "--send", "brochure:perou",
                       "-t", "voyages", code=2)
    assert "no postal address" in no_address.stderr
    assert ccctl.json("item", "show", str(item), "-t", "voyages")["state"] == "open"
    assert follow_ups(app) == []


def test_a_site_info_request_is_fulfilled_automatically_and_contact_drops_the_follow_up(app, ccctl, tmp_path, pdfs,
                                                                                      smtp_server):
    apply(ccctl, tmp_path / "clients", pdfs, smtp_port=smtp_server.port)
    asked = new_item(app, "voyages", "s1", attributes={"event_type": "info_request", "product": "Circuit Japon"})
    shown = ccctl.json("item", "show", str(asked), "-t", "voyages")
    assert (shown["state"], shown["outcome"]) == ("closed", "info-sent")
    [follow] = follow_ups(app)
    assert follow.state == "open"
    new_item(app, "voyages", "s2", subject="Question sur le vol")  # the customer writes meanwhile
    [follow] = follow_ups(app)
    assert (follow.state, follow.outcome) == ("closed", "cancelled")
    with_note = ccctl.json("customer", "show", str(follow.customer_id), "-t", "voyages")["timeline"]
    assert any("no longer needed: the customer got in touch" in e["summary"] for e in with_note)


def test_contact_keeps_the_follow_up_when_so_configured(app, ccctl, tmp_path, pdfs):
    apply(ccctl, tmp_path / "clients", pdfs, follow_up="      cancel_on_contact: false\n")
    new_item(app, "voyages", "k1", queue="brochures", customer_attributes={
        "address": "1 place Bellecour", "postcode": "69002", "city": "Lyon"}, subject="Brochure Pérou SVP")
    new_item(app, "voyages", "k2", subject="Autre question")
    [follow] = follow_ups(app)
    assert follow.state == "open" and "postal mailing batch" in follow.subject


def test_an_automatic_request_that_cannot_be_fulfilled_stays_open_with_the_reason(app, ccctl, tmp_path, pdfs):
    apply(ccctl, tmp_path / "clients", pdfs)
    item = new_item(app, "voyages", "f1", attributes={"brochure": "perou"})  # post, but no address known
    assert ccctl.json("item", "show", str(item), "-t", "voyages")["state"] == "open"
    with app.session() as s:
        [note] = s.scalars(select(Interaction.summary).where(Interaction.item_id == item,
                                                             Interaction.channel == "fulfil")).all()
    assert note.startswith("Brochure 'perou' not sent: customer") and "no postal address" in note
    pdfs["japon-fr"].unlink()
    missing = new_item(app, "voyages", "f2", attributes={"brochure": "japon"})
    assert ccctl.json("item", "show", str(missing), "-t", "voyages")["state"] == "open"
