"""Per-request tenant scope: which tenant a URL names, and a session-bound TenantContext for it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ccctl.context import App, TenantContext
from ccctl.web.writelock import sqlite_writer

T = TypeVar("T")


@dataclass(frozen=True)
class TenantInfo:
    id: int
    slug: str
    name: str
    plugins: frozenset[str]
    region: str  # default phone region
    locale: str | None = None  # the tenant's ``locale`` (fr_FR): the language of its pages (ccctl.i18n)
    languages: tuple[str, ...] = ()  # further languages its pages may speak (Accept-Language)
    # The tenant row as loaded (detached): merged into each request's session without a SELECT.
    row: Any = field(default=None, compare=False, repr=False)


class TenantDirectory:
    """Slug → TenantInfo, re-read from the database after ``ttl`` seconds (tenant apply shows up soon)."""

    def __init__(self, app: App, ttl: float = 5.0) -> None:
        self.app, self.ttl = app, ttl
        self._cache: dict[str, tuple[float, TenantInfo | None]] = {}

    def cached(self, slug: str) -> tuple[bool, TenantInfo | None]:
        """(fresh, info) from memory only: cheap enough for the event loop."""
        hit = self._cache.get(slug)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return True, hit[1]
        return False, None

    def lookup(self, slug: str) -> TenantInfo | None:
        fresh, info = self.cached(slug)
        if fresh:
            return info
        now = time.monotonic()
        info = self._load(slug)
        if len(self._cache) > 10_000:  # unknown slugs must not grow memory without bound
            self._cache.clear()
        self._cache[slug] = (now, info)
        return info

    def _load(self, slug: str) -> TenantInfo | None:
        from ccctl.tenant_lookup import find_tenant

        with self.app.session() as session:
            tenant = find_tenant(session, slug)
            if tenant is None or tenant.archived_at is not None:  # an archived client's pages are gone
                return None
            return TenantInfo(tenant.id, tenant.slug, tenant.name, frozenset(tenant.enabled_plugins()),
                              tenant.default_region, tenant.config.get("locale"),
                              tuple(tenant.config.get("languages") or ()), tenant)


async def tenant_info(request: Request) -> TenantInfo:
    """The tenant named by ``/t/<tenant>/``; 404 when there is none."""
    slug = request.path_params["tenant"]
    directory: TenantDirectory = request.app.state.tenants
    fresh, info = directory.cached(slug)
    if not fresh:  # the database only when the cached answer is missing or old
        info = await run_in_threadpool(directory.lookup, slug)
    if info is None:
        raise HTTPException(404, f"no tenant '{slug}'")
    return info


@contextlib.contextmanager
def tenant_scope(request: Request, write: bool = True) -> Iterator[TenantContext]:
    """A TenantContext with an open session for the URL's tenant: commit on success, roll back on error.

    ``write=True`` starts the transaction with ``BEGIN IMMEDIATE`` on SQLite: several uvicorn
    workers write at once, and a deferred transaction that read first fails with "database is
    locked" when it then tries to write. Pass ``write=False`` for pages that only read.
    Blocking (SQLAlchemy is synchronous): use it in a plain ``def`` endpoint (Starlette runs
    those in a worker thread) or through :func:`run_in_tenant` from an ``async def`` one.
    """
    from ccctl.tenant_lookup import find_tenant

    app: App = request.app.state.ccctl
    slug = request.path_params["tenant"]
    info: TenantInfo | None = getattr(request.state, "tenant_info", None)
    with sqlite_writer(app.engine) if write else contextlib.nullcontext():
        begin = {"sqlite_begin": "IMMEDIATE"} if write else {}  # the option is ignored off SQLite
        with app.transaction(**begin) as session:
            if info is not None and info.row is not None and info.slug == slug:
                # The directory's copy (at most ``ttl`` s old, like the 404 decision made from it):
                # a copy of it joins the session with no SELECT, and the shared row stays untouched.
                tenant = session.merge(info.row, load=False)
            else:
                tenant = find_tenant(session, slug)
            if tenant is None:
                raise HTTPException(404, f"no tenant '{slug}'")
            yield app.context(session, tenant)


async def run_in_tenant(request: Request, work: Callable[..., T], *args: Any, write: bool = True,
                        **kwargs: Any) -> T:
    """``work(ctx, *args, **kwargs)`` in a worker thread inside :func:`tenant_scope`; returns its result."""

    def scoped() -> T:
        with tenant_scope(request, write=write) as ctx:
            return work(ctx, *args, **kwargs)

    return await run_in_threadpool(scoped)
