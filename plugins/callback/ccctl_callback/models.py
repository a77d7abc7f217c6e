"""Call-back tables: per-slot seat counters, the requests, and each call attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base, utcnow


class CallbackSlot(Base):
    """Seats booked in one slot. Booking is one conditional UPDATE (``booked < capacity``),
    so concurrent requests can never overbook, whatever the database."""

    __tablename__ = "callback_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column()
    booked: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        UniqueConstraint("tenant_id", "starts_at"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
    )


class CallbackRequest(Base):
    """A person asked to be called back, now or in a slot (that request is their consent)."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # Idempotency key: a web form token or a batch line's key; also the queue item's external_ref.
    ref: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    item_id: Mapped[int | None] = mapped_column(index=True)
    phone: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # Page or form the request came from (url, title, form fields...).
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    referral_code: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16), default="cli")  # cli|batch|web
    slot_start: Mapped[datetime | None] = mapped_column()  # None: "call me now"
    # Holds a seat in callback_slots until cancelled.
    holds_seat: Mapped[bool] = mapped_column(default=False)
    consent: Mapped[bool] = mapped_column(default=True)
    consent_at: Mapped[datetime | None] = mapped_column()
    # scheduled | reached | wrong-number | cancelled | exhausted
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "ref"),)


class CallbackAttempt(Base):
    """One call (Twilio-bridged or manual) made for a request, and what came of it."""

    __tablename__ = "callback_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_requests.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()  # 1 for the first attempt
    agent: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(16))  # twilio | manual
    call_sid: Mapped[str | None] = mapped_column(String(64))
    # Last Twilio status of the customer leg (queued, ringing, in-progress, completed, no-answer...).
    status: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(16))  # reached|no-answer|wrong-number|cancelled
    note: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    # Talk time in seconds: Twilio's CallDuration of the completed customer leg, or what the agent
    # gave with a manual outcome; None when unknown. Billed per started minute (ccctl_callback.billing).
    duration_seconds: Mapped[int | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("request_id", "number"),
        Index("ix_callback_attempts_call_sid", "call_sid"),
    )
