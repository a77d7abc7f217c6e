"""`faq sync`: make a tenant's articles match a folder (create, update, delete; unchanged rows untouched)."""

from __future__ import annotations

from dataclasses import dataclass

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant, utcnow
from ccctl_selfhelp.analysis import terms
from ccctl_selfhelp.articles import ArticleSource
from ccctl_selfhelp.models import ARTICLE_COUNT, Article, TermStat
from ccctl_selfhelp.render import snippet, to_text


@dataclass
class Change:
    action: str  # create | update | delete | unchanged
    slug: str
    source: str
    title: str

    def row(self) -> dict[str, str]:
        return {"action": self.action, "slug": self.slug, "source": self.source, "title": self.title}


def plan(session: Session, tenant: Tenant, sources: list[ArticleSource]) -> list[Change]:
    existing = {a.slug: a for a in session.scalars(select(Article).where(Article.tenant_id == tenant.id))}
    changes = []
    for src in sources:
        old = existing.pop(src.slug, None)
        action = "create" if old is None else ("unchanged" if old.checksum == src.checksum else "update")
        changes.append(Change(action, src.slug, src.where, src.title))
    changes += [Change("delete", a.slug, a.source, a.title) for a in existing.values()]
    return changes


def apply(session: Session, tenant: Tenant, sources: list[ArticleSource], changes: list[Change],
          progress: bool = False) -> None:
    by_slug = {s.slug: s for s in sources}
    existing = {a.slug: a for a in session.scalars(select(Article).where(Article.tenant_id == tenant.id))}
    todo = [c for c in changes if c.action != "unchanged"]
    with click.progressbar(todo, label="Indexing articles", file=click.get_text_stream("stderr"),
                           hidden=not progress or len(todo) < 50) as bar:
        for change in bar:
            if change.action == "delete":
                session.delete(existing[change.slug])
            else:
                article = existing.get(change.slug) or Article(tenant_id=tenant.id, slug=change.slug)
                fill(article, by_slug[change.slug], tenant)
                session.add(article)
    session.flush()
    if todo or not session.scalar(select(TermStat.term).where(TermStat.tenant_id == tenant.id).limit(1)):
        refresh_term_stats(session, tenant)  # also fills them after the upgrade that added them


def refresh_term_stats(session: Session, tenant: Tenant) -> None:
    """Recount, for every term, how many of the tenant's articles contain it."""
    from collections import Counter

    from sqlalchemy import delete, insert

    docs: Counter[str] = Counter()
    rows = session.execute(select(Article.terms_title, Article.terms_tags, Article.terms_body)
                           .where(Article.tenant_id == tenant.id))
    for title, tags, body in rows:
        docs.update(set(f"{title} {tags} {body}".split()))
        docs[ARTICLE_COUNT] += 1
    session.execute(delete(TermStat).where(TermStat.tenant_id == tenant.id))
    if docs:
        session.execute(insert(TermStat), [{"tenant_id": tenant.id, "term": term, "docs": n}
                                           for term, n in docs.items() if len(term) <= 200])


def fill(article: Article, src: ArticleSource, tenant: Tenant) -> None:
    """Copy ``src`` into ``article`` with its search terms."""
    article.locale, article.title, article.body = src.locale, src.title, src.body
    article.tags, article.source, article.checksum = list(src.tags), src.source, src.checksum
    article.terms_title = " ".join(terms(src.title, src.locale))
    article.terms_tags = " ".join(terms(" ".join(src.tags), src.locale))
    text = to_text(src.body)
    article.summary = snippet(text)
    article.terms_body = " ".join(terms(text, src.locale))
    article.search_scope = f"t{tenant.id} l{src.locale}"
    article.updated_at = utcnow()
