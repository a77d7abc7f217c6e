"""Status callbacks and inbound SMS through the real `ccctl serve`, signed by the Twilio test server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ccctl.db.models import Interaction, WorkItem

PHONE = "+33612345678"


@pytest.fixture
def served(sms_env, app):
    """The real web app (create_web_app) served by uvicorn in a thread: quicker than `ccctl serve`."""
    from support.live_server import threaded_server

    from ccctl.web.app import create_web_app

    with threaded_server(create_web_app(app)) as base:
        sms_env.apply(status_callback_url=f"{base}/t/sms-test/sms/status")
        sms_env.base = base
        yield sms_env


def _send_one(env) -> dict:
    env.schedule([{"to": PHONE, "body": "Votre commande est prête."}])
    env.dispatch()
    [row] = env.outbox()
    return row


def test_status_callback_updates_delivery_and_never_goes_back(served):
    row = _send_one(served)
    assert served.twilio.set_message_status(row["sid"], "delivered")[0] == 200
    assert served.outbox()[0]["status"] == "delivered"
    assert served.twilio.set_message_status(row["sid"], "sent")[0] == 200  # late, out of order
    assert served.outbox()[0]["status"] == "delivered"


def test_status_callback_with_error_code_21610_opts_out(served):
    row = _send_one(served)
    served.twilio.set_message_status(row["sid"], "undelivered", error_code=21610)
    [updated] = served.outbox()
    assert (updated["status"], updated["error"]) == ("undelivered", "provider error 21610")
    assert [o["number"] for o in served.ccctl.json("sms", "opt-outs", "-t", "sms-test")] == [PHONE]


def test_forged_status_callback_is_refused(served):
    row = _send_one(served)
    url = f"{served.base}/t/sms-test/sms/status?o={row['id']}"
    params = {"MessageSid": row["sid"], "MessageStatus": "failed", "AccountSid": served.twilio.account_sid}
    assert served.twilio.post_webhook(url, params, signature="forged")[0] == 403
    assert served.twilio.post_webhook(url, params, auth_token="not-the-token")[0] == 403
    assert served.outbox()[0]["status"] == "queued"


def test_inbound_stop_arret_and_start(served):
    url = f"{served.base}/t/sms-test/sms/inbound"
    assert served.twilio.inbound_sms(url, PHONE, "+33757000001", " Arrêt. ")[0] == 200
    assert [o["source"] for o in served.ccctl.json("sms", "opt-outs", "-t", "sms-test")] == ["keyword"]
    served.ccctl("sms", "send", PHONE, "--body", "promo", code=1)
    served.twilio.inbound_sms(url, PHONE, "+33757000001", "START")
    assert served.ccctl.json("sms", "opt-outs", "-t", "sms-test") == []
    served.ccctl("sms", "send", PHONE, "--body", "bienvenue")
    served.twilio.inbound_sms(url, "+33612345679", "+33757000001", "unsubscribe")
    assert [o["number"] for o in served.ccctl.json("sms", "opt-outs", "-t", "sms-test")] == ["+33612345679"]


def test_inbound_text_becomes_interaction_and_queue_item(served, session):
    url = f"{served.base}/t/sms-test/sms/inbound"
    status, body = served.twilio.inbound_sms(url, "06 12 34 56 78", "+33757000001", "Je veux décaler mon RDV",
                                             sid="SM" + "1" * 32)
    assert status == 200 and "<Response/>" in body
    item = session.scalar(select(WorkItem).where(WorkItem.channel == "sms"))
    assert item.body == "Je veux décaler mon RDV" and item.external_ref == "SM" + "1" * 32
    interaction = session.scalar(select(Interaction).where(Interaction.channel == "sms"))
    assert interaction.customer_id == item.customer_id is not None and interaction.item_id == item.id
    customer = served.ccctl.json("customer", "find", PHONE, "-t", "sms-test")
    assert customer[0]["id"] == item.customer_id


def test_inbound_without_signature_is_refused(served, session):
    url = f"{served.base}/t/sms-test/sms/inbound"
    assert served.twilio.post_webhook(url, {"From": PHONE, "Body": "hi", "MessageSid": "SM" + "2" * 32},
                                      signature="")[0] == 403
    assert session.scalar(select(WorkItem)) is None
