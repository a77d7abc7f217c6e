"""A customer who gets in touch before the follow-up call makes it no longer needed, whatever the channel:
a mail that joins an existing thread (no new item), an inbound call that ends before any queue
(``ccctl_customer_contacted``); an automatic reply (out of office) does not count."""

from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from ccctl.db.models import WorkItem
from fulfil_helpers import new_item, tenant_yaml

TOKEN = "f" * 32
VOICE = f"""  voice:
    enabled: true
    numbers: ["+33180000001"]
    account_sid: AC{"0" * 32}
    auth_token: ${{FULFIL_VOICE_TOKEN}}
"""
MAIL = """From: Anna Petit <anna@example.fr>
To: contact@voyages.test
Subject: {subject}
Message-ID: <{mid}@example.fr>
{headers}Date: Sun, 06 Dec 2026 10:00:00 +0100
Content-Type: text/plain; charset=utf-8

{body}
"""


def setup_tenant(ccctl, tmp_path, pdfs, extra=""):
    folder = tmp_path / "clients"
    folder.mkdir(exist_ok=True)
    (folder / "voyages.yaml").write_text(tenant_yaml("voyages", pdfs, extra=extra), encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(folder))
    ccctl("agent", "add", "marie", "--serves", "voyages")


def ingest(ccctl, tmp_path, mid, subject, body, headers=""):
    path = tmp_path / f"{mid}.eml"
    path.write_text(MAIL.format(mid=mid, subject=subject, body=body, headers=headers), encoding="utf-8")
    return ccctl.json("email", "ingest", str(path), "-t", "voyages", "--no-ack")


def follow_ups(app) -> list[WorkItem]:
    with app.session() as s:
        return list(s.scalars(select(WorkItem).where(WorkItem.channel == "fulfil").order_by(WorkItem.id)))


def test_a_reply_joining_the_thread_cancels_the_follow_up_but_an_out_of_office_does_not(app, ccctl, tmp_path, pdfs):
    setup_tenant(ccctl, tmp_path, pdfs)
    ingest(ccctl, tmp_path, "first", "Infos Japon", "Bonjour, je voudrais des informations.")
    with app.session() as s:
        [asked] = s.scalars(select(WorkItem.id).where(WorkItem.channel == "email")).all()
    ccctl("item", "close", str(asked), "--agent", "marie", "--outcome", "info-sent", "--send", "brochure:japon",
          "-t", "voyages")
    [follow] = follow_ups(app)
    assert follow.state == "open"
    ingest(ccctl, tmp_path, "ooo", "Absent: Re: Infos Japon", "Je suis absente jusqu'au 14.",
           headers="In-Reply-To: <first@example.fr>\nAuto-Submitted: auto-replied\n")
    assert follow_ups(app)[0].state == "open"  # a machine answered, not the customer
    ingest(ccctl, tmp_path, "reply", "Re: Infos Japon", "Merci, et pour le Pérou ?",
           headers="In-Reply-To: <first@example.fr>\nReferences: <first@example.fr>\n")
    with app.session() as s:
        assert s.scalars(select(WorkItem.id).where(WorkItem.channel == "email")).all() == [asked]  # joined
    [follow] = follow_ups(app)
    assert (follow.state, follow.outcome) == ("closed", "cancelled")
    timeline = ccctl.json("customer", "show", str(follow.customer_id), "-t", "voyages")["timeline"]
    assert any("no longer needed: the customer got in touch (by email)" in e["summary"] for e in timeline)


def test_an_inbound_call_that_makes_no_item_cancels_the_follow_up(app, ccctl, tmp_path, pdfs, monkeypatch):
    from twilio.request_validator import RequestValidator

    from ccctl.web.app import create_web_app

    monkeypatch.setenv("FULFIL_VOICE_TOKEN", TOKEN)
    setup_tenant(ccctl, tmp_path, pdfs, extra=VOICE)
    new_item(app, "voyages", "v1", email=None, attributes={"brochure": "perou"},
             customer_attributes={"address": "3 rue des Lilas", "postcode": "69003", "city": "Lyon"})
    [follow] = follow_ups(app)
    assert follow.state == "open"
    url = "http://testserver/t/voyages/voice/incoming"
    params = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": "+33612345678",
              "To": "+33180000001", "CallStatus": "ringing", "Direction": "inbound"}
    with TestClient(create_web_app(app)) as client:
        answer = client.post(url, data=params,
                             headers={"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, params)})
    assert answer.status_code == 200, answer.text
    with app.session() as s:  # the caller hung up in the menu: no voice item, yet they called
        assert s.scalars(select(WorkItem.id).where(WorkItem.channel == "voice")).all() == []
    [follow] = follow_ups(app)
    assert (follow.state, follow.outcome) == ("closed", "cancelled")

