"""Core tables. Every row that belongs to a client carries ``tenant_id``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AwareDateTime(TypeDecorator):
    """Timezone-aware datetimes on every backend (SQLite forgets the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware (UTC) datetime")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value

    def bind_processor(self, dialect):
        # SQLite: one function doing process_bind_param and SQLAlchemy's DATETIME formatting
        # (a bulk insert binds several datetimes a row; the two layers cost twice as much).
        return _sqlite_datetime if dialect.name == "sqlite" else super().bind_processor(dialect)


def _sqlite_datetime(value: datetime | None) -> str | None:
    """What SQLite stores for an aware datetime: UTC, written as SQLAlchemy's DATETIME does
    (``YYYY-MM-DD HH:MM:SS.ffffff``), so rows written before and after compare alike."""
    if value is None:
        return None
    if value.tzinfo is not timezone.utc:
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware (UTC) datetime")
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: AwareDateTime, dict[str, Any]: JSON}


def enabled_plugins_of(config: dict[str, Any] | None) -> list[str]:
    """The plugins a tenant's configuration switches on."""
    return sorted(name for name, section in ((config or {}).get("plugins") or {}).items()
                  if (section or {}).get("enabled"))


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The validated YAML, secrets kept as ${ENV} references, never resolved values.
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set by `tenant archive` at the end of a contract: no intake, no cron work, kept for export.
    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    def enabled_plugins(self) -> list[str]:
        return enabled_plugins_of(self.config)

    def plugin_config(self, name: str) -> dict[str, Any]:
        """The tenant's section for plugin ``name`` (empty when absent)."""
        return dict((self.config.get("plugins") or {}).get(name) or {})

    @property
    def default_region(self) -> str:
        return self.config.get("default_region") or "FR"

    @property
    def timezone(self) -> str:
        return self.config.get("timezone") or "UTC"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Lower-cased, accent-free name for search.
    name_key: Mapped[str] = mapped_column(String(200), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list[ContactPoint]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="ContactPoint.id"
    )

    __table_args__ = (Index("ix_customers_tenant_name_key", "tenant_id", "name_key"),)


class ContactPoint(Base):
    """A normalised phone (E.164) or email (lower-case) that identifies a customer."""

    __tablename__ = "contact_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    __table_args__ = (UniqueConstraint("tenant_id", "kind", "value"),)


class Interaction(Base):
    """One event in a customer's multichannel history."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(16), default="in")
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    item_id: Mapped[int | None] = mapped_column(index=True)
    external_id: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("tenant_id", "channel", "external_id"),
        Index("ix_interactions_customer_time", "customer_id", "occurred_at"),
    )


class CustomerMerge(Base):
    """The trace a merge leaves: which customer went into which, and what moved."""

    __tablename__ = "customer_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set by `customer unmerge`: the trace stays, and says it was undone.
    undone_at: Mapped[datetime | None] = mapped_column()


class CustomerAttribute(Base):
    """One value of an attribute the tenant declares indexed (or an external key) for one customer:
    `customer find --attr` and import matching read this table instead of scanning JSON."""

    __tablename__ = "customer_attributes"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(500))

    __table_args__ = (Index("ix_customer_attributes_lookup", "tenant_id", "key", "value"),)


class WorkItem(Base):
    """One piece of work in the universal queue (an email, a call-back, a web request, an SMS)."""

    __tablename__ = "work_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int] = mapped_column(default=0)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open|claimed|waiting|closed
    not_before: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    # Set exactly while the item is claimed; a close keeps it (closing reads it to free the holder).
    claimed_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Idempotency: the source's own id (Message-ID, call-back request id...), unique per tenant+channel.
    external_ref: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The item's skills as a row of ``skill_sets``: claims filter on it without reading JSON.
    skill_set_id: Mapped[int | None] = mapped_column(ForeignKey("skill_sets.id"))
    routed_by: Mapped[str | None] = mapped_column(String(100))  # routing rule that chose the queue
    escalation_level: Mapped[int] = mapped_column(default=0)  # steps `queue escalate` applied
    # Sticky routing: until ``reserved_until`` only ``reserved_for`` may claim the item (a caller
    # whose case owner was busy waits for that owner a while before anyone else takes the call).
    reserved_for: Mapped[str | None] = mapped_column(String(100))
    reserved_until: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("tenant_id", "channel", "external_ref"),
    )


class AuditEntry(Base):
    """Who did what: one row per export, erasure or report (details never hold personal data)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for actions spanning tenants (e.g. billing for every client).
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ix_audit_log_tenant_at", "tenant_id", "at"),)


# Partial indexes (migration 0004): an item leaves them as it moves on, so a close adds no entry to
# any of them. `queue next` walks the first in claim order (priority DESC, due_at ASC) and stops
# at the first item the agent may take. Queries repeat the WHERE term as a literal, not a
# parameter, so the planners can match it. Declared here: the DESC needs the column objects.
OPEN_STATE, CLAIMED_STATE, LIVE_STATE = "state = 'open'", "state = 'claimed'", "state <> 'closed'"


def _partial(name: str, where: str, *columns) -> Index:
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


_partial("ix_work_items_claim_order", OPEN_STATE, WorkItem.priority.desc(), WorkItem.due_at, WorkItem.id)
_partial("ix_work_items_held", CLAIMED_STATE, WorkItem.claimed_by)
_partial("ix_work_items_live", LIVE_STATE, WorkItem.tenant_id, WorkItem.queue, WorkItem.state, WorkItem.priority,
         WorkItem.due_at)


class SkillSet(Base):
    """One distinct set of required skills (few rows): ``key`` is the sorted skills joined by ``|``."""

    __tablename__ = "skill_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(1000), unique=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)


class Agent(Base):
    """An outsourcer's operator; serves several tenants, so the row itself has no ``tenant_id``."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    available: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int] = mapped_column(default=1)  # items held (claimed) at once
    # Items claimed now: kept by every claim, release, transfer and close, so one statement can
    # check capacity exactly; a claim that finds it full recounts (ccctl.queue.holding).
    holding: Mapped[int] = mapped_column(default=0, server_default="0")
    # The agent's phone (E.164): calls routed to the agent are dialled there.
    phone: Mapped[str | None] = mapped_column(String(32))
    # available | on-call | wrap-up | paused; ``available`` (what claims check) is true only in
    # "available". Each change is kept in ``agent_state_changes``.
    state: Mapped[str] = mapped_column(String(16), default="available", server_default="available")
    state_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    served: Mapped[list[AgentTenant]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class AgentStateChange(Base):
    """One change of an agent's state (the history that time-in-state reports read)."""

    __tablename__ = "agent_state_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    # What made the change: an operator's command, or a call (e.g. "voice:CA...").
    source: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_agent_state_changes_agent_at", "agent_id", "at"),)


class AgentTenant(Base):
    """A tenant an agent serves."""

    __tablename__ = "agent_tenants"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)


class SeenRequest(Base):
    """Digest of a verified webhook request (Twilio), kept for a while so a replay of it is refused."""

    __tablename__ = "web_seen_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CronRunRecord(Base):
    """The last run of one cron job for one tenant (``ccctl.cron``), read by ``ccctl status``."""

    __tablename__ = "cron_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    runs: Mapped[int] = mapped_column(default=0)
    last_run_at: Mapped[datetime | None] = mapped_column()
    last_ok_at: Mapped[datetime | None] = mapped_column()
    last_problem_at: Mapped[datetime | None] = mapped_column()
    last_problem: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("job", "tenant_id"),)
