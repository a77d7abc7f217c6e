"""The slot confirmation SMS goes through the notification hook: queued for tenants with sms, not for others."""

from __future__ import annotations

from callback_helpers import tomorrow
from sqlalchemy import select

from ccctl_sms.models import SmsMessage


def outbox(app, tenant_slug):
    from ccctl.db.models import Tenant

    with app.session() as s:
        tenant = s.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
        return s.scalars(select(SmsMessage).where(SmsMessage.tenant_id == tenant.id)).all()


def test_tenant_with_sms_gets_one_confirmation(cb, app):
    slot = tomorrow(10, 0)
    row = cb.json("callback", "request", "-t", "rappel", "--phone", "06 12 34 56 78", "--name", "Léa", "--slot", slot)
    cb("callback", "request", "-t", "rappel", "--phone", "06 12 34 56 78", "--slot", slot, "--key", "k1")
    cb("callback", "request", "-t", "rappel", "--phone", "06 12 34 56 78", "--slot", slot, "--key", "k1")
    messages = outbox(app, "rappel")
    assert len(messages) == 2  # one per request; the re-sent key made no second request nor SMS
    first = next(m for m in messages if m.idempotency_key == f"callback-confirm-{row['request']}")
    assert first.to_number == "+33612345678" and first.template == "callback_confirmation"
    day, hour = slot.split()
    d = day.split("-")
    assert f"{d[2]}/{d[1]}/{d[0]} à {hour}" in first.body and "Léa" in first.body


def test_tenant_without_sms_gets_none(cb, app):
    cb("callback", "request", "-t", "nosms", "--phone", "06 12 34 56 78", "--slot", tomorrow(10, 0))
    assert outbox(app, "nosms") == []


def test_call_me_now_needs_no_confirmation(cb, app):
    cb("callback", "request", "-t", "rappel", "--phone", "06 12 34 56 78", "--now")
    assert outbox(app, "rappel") == []
