"""The plugin's table, on ccctl's Base: every row carries ``tenant_id`` and every query is scoped by it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base, utcnow


class ChatMessage(Base):
    """One message from a website visitor, attached to the queue item of its conversation."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_tenant_visitor", "tenant_id", "visitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id", ondelete="SET NULL"))
    visitor: Mapped[str] = mapped_column(String(320))          # the visitor's e-mail address
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  # AwareDateTime through Base's type map
    closed: Mapped[bool] = mapped_column(default=False)        # the conversation's item was closed
