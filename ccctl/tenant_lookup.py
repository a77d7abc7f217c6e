"""Reading the tenants table: the one place commands, cron jobs and routes find tenants.

``find_tenant(session, slug)`` → the tenant or None; ``list_tenants(session, plugin="sms",
active=True)`` → tenants by slug, narrowed; ``tenant_slugs(session)`` → every slug, for a
"known: ..." hint. Errors (an unknown slug, none at all) are the caller's to word.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant


def find_tenant(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def list_tenants(session: Session, *, plugin: str | None = None, active: bool = False,
                 where: Callable[[Tenant], bool] | None = None, limit: int | None = None) -> list[Tenant]:
    """Tenants by slug: those enabling ``plugin`` (if given), not archived (if ``active``), for which
    ``where(tenant)`` holds (if given); at most ``limit`` of them (before the plugin and where tests)."""
    query = select(Tenant).order_by(Tenant.slug)
    if active:
        query = query.where(Tenant.archived_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    return [t for t in session.scalars(query)
            if (plugin is None or plugin in t.enabled_plugins()) and (where is None or where(t))]


def tenant_slugs(session: Session) -> list[str]:
    return list(session.scalars(select(Tenant.slug).order_by(Tenant.slug)))
