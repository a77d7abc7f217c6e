"""Poison never blocks: an inbound SMS whose sender is no valid number still lands in the queue
(a 500 would make Twilio retry the webhook and the message would never arrive)."""

from __future__ import annotations

from sqlalchemy import select

from ccctl.db.models import Customer, WorkItem


def test_invalid_plus_number_becomes_an_item_without_a_customer(sms_env, app):
    from ccctl_sms.inbound import receive

    sender = "+" + "9" * 40
    with app.session() as session:
        ctx = app.context(session, app.tenant(session, "sms-test"))
        done = receive(ctx, sender, "Bonjour", "SM" + "2" * 32, "+33757000001")
        session.commit()
    assert done["action"] == "item" and done["created"] is True
    with app.session() as session:
        item = session.scalar(select(WorkItem).where(WorkItem.channel == "sms"))
        assert item.customer_id is None and item.attributes["from"] == sender[:64]
        assert session.scalars(select(Customer)).all() == []
