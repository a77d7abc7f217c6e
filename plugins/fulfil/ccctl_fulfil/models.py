"""The fulfil plugin's table: one row per document sent (or batched for post) for one request."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base, utcnow

# email: queued (in the email outbox); post: batched -> exported
QUEUED, BATCHED, EXPORTED = "queued", "batched", "exported"


class FulfilRequest(Base):
    __tablename__ = "fulfil_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column()
    document: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(8))  # email | post
    state: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e-mail address, or the postal address
    outbox_id: Mapped[int | None] = mapped_column()
    follow_up_item_id: Mapped[int | None] = mapped_column()
    exported_at: Mapped[datetime | None] = mapped_column()
    export_date: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant_id", "item_id", "document"),
        Index("ix_fulfil_requests_batch", "tenant_id", "method", "state"),
    )
