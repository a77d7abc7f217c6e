"""What the public pages and the static site share: fetching articles, their URLs and HTML."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl.errors import CcctlError
from ccctl_selfhelp.models import Article


def get_article(session: Session, tenant: Tenant, slug: str) -> Article:
    article = session.scalar(select(Article).where(Article.tenant_id == tenant.id, Article.slug == slug))
    if article is None:
        raise CcctlError(f"no article '{slug}' for tenant {tenant.slug}")
    return article


def find_article(session: Session, tenant: Tenant, slug: str) -> Article | None:
    return session.scalar(select(Article).where(Article.tenant_id == tenant.id, Article.slug == slug))


def all_articles(session: Session, tenant: Tenant) -> list[Article]:
    return list(session.scalars(select(Article).where(Article.tenant_id == tenant.id)
                                .order_by(Article.locale, Article.title)))


def faq_base_url(tenant: Tenant) -> str:
    """Where the tenant's FAQ lives: its ``public_url`` or the ``ccctl serve`` path."""
    public = tenant.plugin_config("selfhelp").get("public_url")
    return str(public).rstrip("/") if public else f"/t/{tenant.slug}/faq"


def article_url(tenant: Tenant, slug: str) -> str:
    return f"{faq_base_url(tenant)}/{slug}"
