"""The application object handed to commands, and the per-tenant context handed to hooks."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ccctl.errors import CcctlError, InputError

if TYPE_CHECKING:
    import pluggy
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from ccctl.db.models import Tenant


class App:
    """Plugin manager plus a lazily opened, migrated database."""

    def __init__(self, pm: pluggy.PluginManager, database_url: str | None = None) -> None:
        self.pm = pm
        self._database_url = database_url

    @cached_property
    def database_url(self) -> str:
        from ccctl.db.engine import database_url

        return database_url(self._database_url)

    @cached_property
    def engine(self) -> Engine:
        from ccctl.db.engine import make_engine
        from ccctl.db.schema import ensure_schema

        engine = make_engine(self.database_url)
        ensure_schema(engine, self.pm)
        return engine

    def close(self) -> None:
        """Close the database connections, if any was opened (SQLite checkpoints its WAL here)."""
        engine = self.__dict__.pop("engine", None)
        if engine is not None:
            engine.dispose()

    def session(self) -> Session:
        from sqlalchemy.orm import Session

        return Session(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def transaction(self, commit: bool = True, **execution_options: Any) -> Iterator[Session]:
        """A session that commits when the block ends (unless ``commit=False``), rolls back on any error.

        ``execution_options`` start the transaction, e.g. ``sqlite_begin="IMMEDIATE"``.
        """
        session = self.session()
        try:
            if execution_options:
                session.connection(execution_options=execution_options)
            yield session
            if commit:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def config_schemas(self) -> dict[str, Any]:
        from ccctl.plugins import hook_caller

        schemas: dict[str, Any] = {}
        hook_caller(self.pm, "ccctl_register_config_schema")(register=schemas.__setitem__)
        return schemas

    def retention_kinds(self) -> dict[str, str]:
        """Retention kinds a tenant's YAML may name: core's and every loaded plugin's."""
        from ccctl.plugins import hook_caller
        from ccctl.retention import CORE_KINDS

        kinds = dict(CORE_KINDS)
        hook_caller(self.pm, "ccctl_retention_kinds")(register=kinds.__setitem__)
        return kinds

    def tenant(self, session: Session, slug: str | None) -> Tenant:
        """The tenant named ``slug``; the only tenant when there is one and none is named.

        Its time zone becomes the one tables show (one clock: a command for a tenant speaks
        in that tenant's time)."""
        from ccctl.clock import use_zone

        tenant = self._tenant(session, slug)
        use_zone(tenant.timezone)
        return tenant

    def _tenant(self, session: Session, slug: str | None) -> Tenant:
        from ccctl.tenant_lookup import find_tenant, list_tenants, tenant_slugs

        slug = slug or os.environ.get("CCCTL_TENANT")
        if slug:
            tenant = find_tenant(session, slug)
            if tenant is None:
                known = tenant_slugs(session)
                raise InputError(
                    f"no tenant '{slug}' (known: {', '.join(known) or 'none; run ccctl tenant apply -f FILE'})"
                )
            return tenant
        tenants = list_tenants(session, limit=2)
        if len(tenants) == 1:
            return tenants[0]
        if not tenants:
            raise CcctlError("no tenant yet: run ccctl tenant apply -f clients/")
        raise InputError("several tenants: pass --tenant SLUG or set CCCTL_TENANT")

    def hook(self, tenant: Tenant, name: str):
        """Hook caller for ``tenant`` with the reach the hook declares (``ccctl.hookspecs``)."""
        from ccctl.plugins import hook_caller

        return hook_caller(_TenantOnly(self, tenant), name)

    def context(self, session: Session, tenant: Tenant) -> TenantContext:
        return TenantContext(app=self, session=session, tenant=tenant)


@dataclass
class TenantContext:
    """What an event hook receives as ``ctx``: one tenant, one open session."""

    app: App
    session: Session
    tenant: Tenant
    actor: str | None = None

    _hooks: dict = field(default_factory=dict, repr=False)  # hot paths ask for the same caller again

    def hook(self, name: str):
        """pluggy's caller for hook ``name``, reaching what the hook declares (the tenant's
        enabled plugins, or every loaded plugin); ``ccctl.plugins.call_hook(ctx, name, ...)``
        gives ``(plugin, result)`` pairs instead."""
        caller = self._hooks.get(name)
        if caller is None:
            from ccctl.plugins import hook_caller

            caller = self._hooks[name] = hook_caller(self, name)
        return caller


@dataclass
class _TenantOnly:
    app: App
    tenant: Tenant
