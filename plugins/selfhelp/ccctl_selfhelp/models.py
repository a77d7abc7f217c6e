"""Tables of the selfhelp plugin: articles, the suggestions attached to items, and events.

Events count anonymous views, votes and searches: search text is stored with e-mail
addresses and long digit runs masked, but a name a visitor types stays (core's export and
erase sweep find and mask it); suggestions point at items, not at customers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccctl.db.models import Base, utcnow


class Article(Base):
    """One FAQ article of one tenant, with its search terms (see ``analysis.terms``).

    On SQLite the FTS5 table ``selfhelp_fts`` mirrors the ``terms_*`` and ``search_scope``
    columns through triggers; on PostgreSQL a generated ``search_vector`` column does.
    """

    __tablename__ = "selfhelp_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    summary: Mapped[str] = mapped_column(Text, default="")  # plain-text start of the body, for results
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(500), default="")  # file, relative to the synced folder
    checksum: Mapped[str] = mapped_column(String(64))
    terms_title: Mapped[str] = mapped_column(Text, default="")
    terms_tags: Mapped[str] = mapped_column(Text, default="")
    terms_body: Mapped[str] = mapped_column(Text, default="")
    # "t<tenant id> l<locale>": lets one FTS5 MATCH restrict to a tenant and a language.
    search_scope: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)


class Suggestion(Base):
    """An article attached to a queue item when it arrived (rank 1 = best)."""

    __tablename__ = "selfhelp_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("selfhelp_articles.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column()
    score: Mapped[float] = mapped_column()
    match: Mapped[float] = mapped_column()
    auto_answered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("item_id", "article_id"),)


class Event(Base):
    """An anonymous deflection event: ``view``, ``vote``, ``search`` or ``suggest``."""

    __tablename__ = "selfhelp_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("selfhelp_articles.id", ondelete="SET NULL"),
                                                   index=True)
    helpful: Mapped[bool | None] = mapped_column()
    query: Mapped[str | None] = mapped_column(String(200))  # masked, see events.mask_personal
    results: Mapped[int | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(16), default="web")  # web|static|email|...
    # A vote form's one-time token: the same form posted twice counts once.
    token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_selfhelp_events_tenant_kind", "tenant_id", "kind", "created_at"),
        UniqueConstraint("tenant_id", "token"),
    )


ARTICLE_COUNT = ""  # the TermStat row holding the tenant's number of articles (no term is empty)


class TermStat(Base):
    """How many of a tenant's articles contain each search term (document frequency).

    Kept by ``faq sync``; lets a search leave out words found in most articles when rarer
    ones are typed (see ``search.candidate_groups``), the same way on both backends.
    """

    __tablename__ = "selfhelp_terms"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    docs: Mapped[int] = mapped_column()
