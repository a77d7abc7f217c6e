"""The email plugin's tables (Alembic branch ``email``). Every row carries ``tenant_id``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base, utcnow


class EmailMessage(Base):
    """Every message seen or sent, by Message-ID: de-duplication and the thread map (Message-ID → item)."""

    __tablename__ = "email_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(500))
    direction: Mapped[str] = mapped_column(String(8), default="in")
    item_id: Mapped[int | None] = mapped_column()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int | None] = mapped_column()
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    # How the thread was found: new, message-id, references, token, subject-tag.
    matched_by: Mapped[str] = mapped_column(String(16), default="new")
    source: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("tenant_id", "message_id"),
        Index("ix_email_messages_item", "tenant_id", "item_id"),
    )


class EmailBlob(Base):
    """Attachment content, stored once per tenant by SHA-256."""

    __tablename__ = "email_blobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)


class EmailAttachment(Base):
    """One attachment of one message: a name pointing at a blob."""

    __tablename__ = "email_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    message_row_id: Mapped[int] = mapped_column(ForeignKey("email_messages.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(300), default="")
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    size: Mapped[int] = mapped_column(BigInteger)


class ImapState(Base):
    """How far a mailbox has been read: UIDs are only meaningful under one UIDVALIDITY."""

    __tablename__ = "email_imap_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    account: Mapped[str] = mapped_column(String(500))  # user@host:port/folder
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The `email fetch` run reading the mailbox now (host:pid:random) and until when (ccctl_email.lease).
    lease_holder: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column()

    __table_args__ = (UniqueConstraint("tenant_id", "account"),)


class QuarantinedMail(Base):
    """A message that could not be ingested, kept byte for byte with the reason."""

    __tablename__ = "email_quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)


class OutboundMail(Base):
    """An acknowledgement or reply: written before sending, so a re-run never sends twice."""

    __tablename__ = "email_outbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # ack | answer (automatic FAQ answer) | reply
    item_id: Mapped[int | None] = mapped_column()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str] = mapped_column(String(500))
    # For an ack or answer: the Message-ID answered (one of each kind per incoming message at most).
    answers: Mapped[str | None] = mapped_column(String(500))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(8), default="queued")  # queued | sending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # While ``sending``: the run sending it (``host:pid:random``) and since when (ccctl_email.outbox_claim).
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("tenant_id", "message_id"),
        UniqueConstraint("tenant_id", "kind", "answers"),
        Index("ix_email_outbound_rate", "tenant_id", "to_addr", "kind", "created_at"),
    )
