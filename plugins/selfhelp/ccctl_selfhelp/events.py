"""Deflection figures: anonymous views, votes and searches, and what they add up to."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl_selfhelp.models import Article, Event, Suggestion

EMAIL = re.compile(r"\S+@\S+")
DIGITS = re.compile(r"\+?\d[\d .-]{5,}\d")


def mask_personal(query: str) -> str:
    """Visitors type e-mail addresses and phone or booking numbers into search boxes:
    keep the words worth writing an article about, not the person."""
    masked = DIGITS.sub("[number]", EMAIL.sub("[email]", query))
    return " ".join(masked.split())[:200]


def record(session: Session, tenant: Tenant, kind: str, *, article_id: int | None = None,
           helpful: bool | None = None, query: str | None = None, results: int | None = None,
           source: str = "web", token: str | None = None) -> bool:
    """Store one event; False when ``token`` was already used (a vote posted twice)."""
    from ccctl.db.upsert import insert_or_skip

    values = dict(tenant_id=tenant.id, kind=kind, article_id=article_id, helpful=helpful,
                  query=mask_personal(query) if query is not None else None, results=results,
                  source=source, token=token)
    return insert_or_skip(session, Event, values, conflict=("tenant_id", "token"), returning=Event.id) is not None


def deflection_times(session: Session, tenant: Tenant, start: datetime, end: datetime) -> list[datetime]:
    """When a visitor said an article helped ("Did this help?" Yes): the self-service answers
    ``report kpi`` counts as deflected contacts. Views are not counted: one visitor reads
    several articles, bots read them all, and a view does not say the question was answered."""
    return list(session.scalars(select(Event.created_at).where(
        Event.tenant_id == tenant.id, Event.kind == "vote", Event.helpful.is_(True),
        Event.created_at >= start, Event.created_at < end).order_by(Event.created_at)))


def article_stats(session: Session, tenant: Tenant, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per article: views, helpful / not helpful votes, times suggested and auto-answered."""
    def count(kind: str, helpful: bool | None = None):
        cond = Event.kind == kind
        if helpful is not None:
            cond = cond & (Event.helpful.is_(helpful))
        return func.sum(case((cond, 1), else_=0))

    events = select(Event.article_id, count("view").label("views"), count("vote", True).label("helpful"),
                    count("vote", False).label("not_helpful")).where(
        Event.tenant_id == tenant.id, Event.article_id.is_not(None))
    suggested = select(Suggestion.article_id, func.count().label("suggested"),
                       func.sum(case((Suggestion.auto_answered, 1), else_=0)).label("auto_answered")).where(
        Suggestion.tenant_id == tenant.id)
    if since is not None:
        events = events.where(Event.created_at >= since)
        suggested = suggested.where(Suggestion.created_at >= since)
    by_event = {r.article_id: r for r in session.execute(events.group_by(Event.article_id))}
    by_suggestion = {r.article_id: r for r in session.execute(suggested.group_by(Suggestion.article_id))}
    rows = []
    for article in session.scalars(select(Article).where(Article.tenant_id == tenant.id).order_by(Article.slug)):
        ev, sg = by_event.get(article.id), by_suggestion.get(article.id)
        helpful, not_helpful = int(ev.helpful or 0) if ev else 0, int(ev.not_helpful or 0) if ev else 0
        votes = helpful + not_helpful
        rows.append({"slug": article.slug, "title": article.title, "views": int(ev.views or 0) if ev else 0,
                     "helpful": helpful, "not_helpful": not_helpful,
                     "helpful_rate": round(helpful / votes, 2) if votes else None,
                     "suggested": int(sg.suggested) if sg else 0,
                     "auto_answered": int(sg.auto_answered or 0) if sg else 0})
    rows.sort(key=lambda r: (-r["views"], -r["suggested"], r["slug"]))
    return rows


def gaps(session: Session, tenant: Tenant, since: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Searches that found nothing, most frequent first: the articles to write next."""
    key = func.lower(Event.query)
    query = select(key.label("query"), func.count().label("searches"), func.max(Event.created_at).label("last")
                   ).where(Event.tenant_id == tenant.id, Event.kind == "search", Event.results == 0)
    if since is not None:
        query = query.where(Event.created_at >= since)
    rows = session.execute(query.group_by(key).order_by(func.count().desc(), key).limit(limit))
    return [{"query": r.query, "searches": r.searches, "last": r.last} for r in rows]


def totals(session: Session, tenant: Tenant, since: datetime | None = None) -> dict[str, Any]:
    """Tenant-wide figures: searches, searches without result, views, votes, suggestions."""
    def n(*conds):
        q = select(func.count()).select_from(Event).where(Event.tenant_id == tenant.id, *conds)
        return session.scalar(q.where(Event.created_at >= since) if since else q) or 0

    searches, empty = n(Event.kind == "search"), n(Event.kind == "search", Event.results == 0)
    return {"searches": searches, "searches_without_result": empty,
            "views": n(Event.kind == "view"), "helpful": n(Event.kind == "vote", Event.helpful.is_(True)),
            "not_helpful": n(Event.kind == "vote", Event.helpful.is_(False))}
