"""The outbox's INSERT ... ON CONFLICT DO NOTHING paths: a concurrent writer storing the same key,
number or sender between our look-up and our INSERT is found, not doubled and not an error."""

from __future__ import annotations

from sqlalchemy import func, select

from ccctl_sms import outbox
from ccctl_sms.models import BLOCKED, PENDING, SmsMessage, SmsOptOut

PHONE, OTHER = "+33612345678", "+33698765432"


def test_a_key_stored_meanwhile_is_returned_not_doubled(sms_env, app, monkeypatch):
    with app.transaction() as other:   # the other writer, committed first
        tenant = app.tenant(other, "sms-test")
        theirs, created = outbox.enqueue(other, tenant, PHONE, body="theirs", idempotency_key="k1")
        assert created
        theirs_id = theirs.id
    real, missed = outbox._by_keys, []

    def looked_before_they_committed(session, tenant, keys):
        if not missed:   # our look-up ran just before their commit: it saw nothing
            missed.append(keys)
            return {}
        return real(session, tenant, keys)

    monkeypatch.setattr(outbox, "_by_keys", looked_before_they_committed)
    with app.transaction() as session:
        tenant = app.tenant(session, "sms-test")
        config = outbox.sms_config(tenant)
        drafts = [outbox.prepare(tenant, config, PHONE, body="mine", idempotency_key="k1"),
                  outbox.prepare(tenant, config, OTHER, body="new", idempotency_key="k2"),
                  outbox.prepare(tenant, config, OTHER, body="new again", idempotency_key="k2")]
        stored = outbox.store(session, tenant, drafts)
        assert missed
        assert [(row.idempotency_key, created) for row, created in stored] == [("k1", False), ("k2", True),
                                                                               ("k2", False)]
        assert stored[0][0].id == theirs_id and stored[0][0].body == "theirs"
        assert stored[1][0] is stored[2][0] and stored[1][0].body == "new" and stored[1][0].state == PENDING
    with app.session() as session:
        assert session.scalar(select(func.count()).select_from(SmsMessage)) == 2


def test_opting_out_twice_blocks_once_and_a_stored_draft_to_an_opted_number_is_blocked(sms_env, app):
    with app.transaction() as session:
        tenant = app.tenant(session, "sms-test")
        pending, _ = outbox.enqueue(session, tenant, PHONE, body="avant STOP")
        assert outbox.opt_out(session, tenant, PHONE, "keyword") is True
        assert outbox.opt_out(session, tenant, PHONE, "provider") is False   # blocked already
        later, created = outbox.enqueue(session, tenant, PHONE, body="après STOP")
        assert created and later.state == BLOCKED and "opted out" in later.error
    with app.session() as session:
        assert session.scalars(select(SmsOptOut.source)).all() == ["keyword"]
        assert session.scalar(select(SmsMessage.state).where(SmsMessage.body == "avant STOP")) == BLOCKED
