"""The sms plugin's tables: the outbox (one row per message to send), opt-outs, sender rate slots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base, utcnow

# Outbox states. pending -> sending -> sent | failed; pending -> cancelled | blocked.
PENDING, SENDING, SENT, FAILED, CANCELLED, BLOCKED = "pending", "sending", "sent", "failed", "cancelled", "blocked"
FINAL_STATES = (SENT, FAILED, CANCELLED, BLOCKED)


class SmsMessage(Base):
    """One SMS to send, exactly once. ``idempotency_key`` makes re-scheduling it harmless."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    to_number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="transactional")  # transactional | marketing
    template: Mapped[str | None] = mapped_column(String(100))
    locale: Mapped[str | None] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8), default="GSM-7")
    segments: Mapped[int] = mapped_column(default=1)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the dispatcher may next look at it (send_at, then quiet-hours deferrals and retry backoff).
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    # The first claim: retryable errors (timeouts, 429, 5xx, provider down) back off until max_age after it.
    first_attempt_at: Mapped[datetime | None] = mapped_column()
    # The current claim: a fresh id per attempt, who claimed it and when the request may start.
    attempt_id: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column()
    # Set when an attempt may have reached the provider without our knowing (crash, timeout, 5xx):
    # before any new request, the provider's list is searched for messages created since then.
    reconcile_since: Mapped[datetime | None] = mapped_column()
    sender: Mapped[str | None] = mapped_column(String(64))
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    delivery_status: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column()
    status_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        UniqueConstraint("provider_sid"),
        Index("ix_sms_outbox_due", "state", "next_attempt_at"),
        Index("ix_sms_outbox_tenant_to", "tenant_id", "to_number"),
    )


class SmsOptOut(Base):
    """A number that said STOP (or that the provider reports unsubscribed, 21610) for this tenant."""

    __tablename__ = "sms_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))  # keyword | provider | manual
    detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "number"),)


class SmsSenderSlot(Base):
    """The next free send time of a rate-limited sender, shared by every dispatcher."""

    __tablename__ = "sms_sender_slots"

    sender: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_slot: Mapped[datetime] = mapped_column()
