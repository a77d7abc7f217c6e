"""The site plugin's tables: the outbound webhook outbox (one row per event per URL) and its delivery log.

Inbound site events need no table of their own: each is a history event (channel ``site``,
external id ``event:<id>``), which makes them idempotent, erasable and mergeable with the rest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base, utcnow

# pending -> sending -> delivered | pending (retry) | failed (a 4xx, or out of attempts)
PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"


class WebhookEvent(Base):
    """One event owed to one webhook URL; ``event_id`` is stable across retries (receivers dedupe on it)."""

    __tablename__ = "site_webhook_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # Whom the event is about: erasing the person deletes their events (export and merge follow it).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    webhook: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_site_webhook_outbox_due", "state", "next_attempt_at"),
        Index("ix_site_webhook_outbox_tenant", "tenant_id", "created_at"),
    )


class WebhookAttempt(Base):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "site_webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("site_webhook_outbox.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(default=0)
