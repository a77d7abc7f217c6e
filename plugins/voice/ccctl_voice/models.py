"""The voice plugin's table: one row per inbound call, its journey and its outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base, utcnow


class VoiceCall(Base):
    """An inbound call (Twilio ``CallSid``) and what became of it.

    ``state``: ivr (greeting and menus) → queued (waiting in ccctl's queue) → connecting (an
    agent claimed it) → dialing (an agent's phone rings) → connected → ended. ``outcome`` says
    how it ended: answered, abandoned, callback, voicemail, hung-up (in the menus).
    """

    __tablename__ = "voice_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    call_sid: Mapped[str] = mapped_column(String(64))
    from_number: Mapped[str] = mapped_column(String(32), default="")
    to_number: Mapped[str] = mapped_column(String(32), default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    item_id: Mapped[int | None] = mapped_column()  # the call's own work item (channel voice)
    case_item_id: Mapped[int | None] = mapped_column()  # the case the caller keyed
    queue: Mapped[str | None] = mapped_column(String(64))
    queue_sid: Mapped[str | None] = mapped_column(String(64))  # Twilio's queue holding the caller
    agent: Mapped[str | None] = mapped_column(String(100))  # who was (last) rung
    state: Mapped[str] = mapped_column(String(16), default="ivr")
    outcome: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="fr")
    partner_code: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    wait_seconds: Mapped[int | None] = mapped_column()  # in the queue, until answered or abandoned
    talk_seconds: Mapped[int | None] = mapped_column()
    duration_seconds: Mapped[int | None] = mapped_column()  # the whole call, as Twilio bills it
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None] = mapped_column()
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        UniqueConstraint("tenant_id", "call_sid"),
        Index("ix_voice_calls_tenant_started", "tenant_id", "started_at"),
        Index("ix_voice_calls_item", "tenant_id", "item_id"),
    )


class VoicePop(Base):
    """A call put through to an agent: what ``ccctl voice pop --follow`` shows them at once."""

    __tablename__ = "voice_pops"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    agent: Mapped[str] = mapped_column(String(100))
    call_id: Mapped[int] = mapped_column(ForeignKey("voice_calls.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_voice_pops_agent_id", "agent", "id"),)


class VoiceRecordingPurge(Base):
    """A recording to delete at Twilio (its customer was erased); ``voice purge-recordings`` does it.

    Holds the recording's SID only, no personal data; the HTTP call is made outside any transaction.
    """

    __tablename__ = "voice_recording_purges"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    recording_sid: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("tenant_id", "recording_sid"),)


class VoiceWebCode(Base):
    """A short code the web site shows a visitor; keyed at the phone menu, it ties the call to the
    visitor's partner (``ref``) and the page they were on."""

    __tablename__ = "voice_web_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(12))
    ref: Mapped[str] = mapped_column(String(100), default="")
    page: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime] = mapped_column()

    __table_args__ = (Index("ix_voice_web_codes_tenant_code", "tenant_id", "code"),)


class VoicePopToken(Base):
    """A key to one agent's screen-pop stream (server-sent events) for a web page; only its hash is kept."""

    __tablename__ = "voice_pop_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    agent: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
