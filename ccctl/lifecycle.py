"""A client's lifecycle at the end of a contract: archive, export everything, delete everything.

Export and delete find the tenant's rows by reflecting the database itself, not the models
of the plugins loaded now: a table of a plugin switched off (or uninstalled) still holds the
client's data and must go out, and then away, with the rest. Every table that belongs to a
client carries ``tenant_id`` (the isolation rule), so "every table with a tenant_id column"
is the whole of a client's data; rows are deleted children first.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, MetaData, Table, delete, func, inspect, select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant, utcnow
from ccctl.errors import CcctlError, InputError

# Kept when a tenant is deleted: the log of who did what (ids and counts, never personal data),
# with the tenant detached, so the deletion itself stays on record.
KEPT = {"audit_log"}


def refuse_archived(tenant: Tenant) -> None:
    """Raise when ``tenant`` is archived: it takes no new work (intake points call this)."""
    if tenant.archived_at is not None:
        raise CcctlError(f"tenant {tenant.slug} is archived ({tenant.archived_at:%Y-%m-%d}): it takes no new "
                         f"work (ccctl tenant unarchive {tenant.slug} to reopen it)")


def archive(session: Session, tenant: Tenant) -> Tenant:
    if tenant.archived_at is not None:
        raise InputError(f"tenant {tenant.slug} is already archived ({tenant.archived_at:%Y-%m-%d %H:%M} UTC)")
    tenant.archived_at = utcnow()
    session.flush()
    return tenant


def unarchive(session: Session, tenant: Tenant) -> Tenant:
    if tenant.archived_at is None:
        raise InputError(f"tenant {tenant.slug} is not archived")
    tenant.archived_at = None
    session.flush()
    return tenant


def tenant_tables(conn: Connection) -> list[Table]:
    """Every table of the database with a ``tenant_id`` column, parents before children."""
    inspector = inspect(conn)
    names = [name for name in inspector.get_table_names()
             if any(c["name"] == "tenant_id" for c in inspector.get_columns(name))]
    metadata = MetaData()
    metadata.reflect(bind=conn, only=names)
    return [t for t in metadata.sorted_tables if t.name in names]


def counts(conn: Connection, tenant: Tenant) -> dict[str, int]:
    """Rows per table that belong to ``tenant`` (tables with none left out)."""
    found = {}
    for table in tenant_tables(conn):
        n = conn.scalar(select(func.count()).select_from(table).where(table.c.tenant_id == tenant.id))
        if n:
            found[table.name] = n
    return found


def export_rows(conn: Connection, tenant: Tenant, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """``{"table": name, "row": {...}}`` for the tenant's row, then every row of every table that is
    the tenant's, streamed (a large client does not fit in memory twice)."""
    tenants = MetaData()
    tenants.reflect(bind=conn, only=["tenants"])
    yield from _rows(conn, tenants.tables["tenants"], tenants.tables["tenants"].c.id == tenant.id, batch)
    for table in tenant_tables(conn):
        yield from _rows(conn, table, table.c.tenant_id == tenant.id, batch)


def _rows(conn: Connection, table: Table, where, batch: int) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)[:1]
    result = conn.execution_options(yield_per=batch).execute(select(table).where(where).order_by(*order))
    for row in result.mappings():
        yield {"table": table.name, "row": {key: _plain(value) for key, value in row.items()}}


def _plain(value: Any) -> Any:
    """A value JSON can carry exactly: bytes as base64, times in ISO 8601, decimals as strings."""
    if isinstance(value, (bytes, memoryview)):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def require_archived(tenant: Tenant) -> None:
    """Deleting needs the tenant archived first (no new work), so that it can be exported whole."""
    if tenant.archived_at is None:
        raise InputError(f"tenant {tenant.slug} is not archived: archive it first (ccctl tenant archive "
                         f"{tenant.slug}), export it (ccctl tenant export {tenant.slug}), then delete it")


def delete_blockers(ctx) -> list[str]:
    """What the tenant (``ctx.tenant``) still holds outside this machine that a plugin must delete before
    the tenant can go, from ``ccctl_list_tenant_delete_blockers``: one line per item, the plugin named."""
    from ccctl.plugins import call_hook

    found = []
    for plugin, answer in call_hook(ctx, "ccctl_list_tenant_delete_blockers"):
        for line in answer or []:
            if not isinstance(line, str) or not line.strip():
                raise CcctlError(f"plugin '{plugin}' answered ccctl_list_tenant_delete_blockers for tenant "
                                 f"{ctx.tenant.slug} with {line!r}, not a sentence")
            found.append(f"{plugin}: {line.strip()}")
    return found


def refuse_blocked(slug: str, blockers: list[str]) -> None:
    """Raise (exit 1) naming the tenant and each blocker with its command, when there is any."""
    if blockers:
        raise CcctlError(f"tenant {slug} still has data outside this machine that must be deleted first, so "
                         f"nothing was deleted; run the command named, then delete again: " + "; ".join(blockers))


def delete_tenant(conn: Connection, tenant: Tenant) -> dict[str, int]:
    """Delete every row of ``tenant`` in every table, then the tenant; returns rows per table.
    The caller holds the transaction (all or nothing) and must have archived the tenant."""
    require_archived(tenant)
    deleted = {}
    for table in reversed(tenant_tables(conn)):
        if table.name in KEPT:
            conn.execute(table.update().where(table.c.tenant_id == tenant.id).values(tenant_id=None))
            continue
        n = conn.execute(delete(table).where(table.c.tenant_id == tenant.id)).rowcount
        if n:
            deleted[table.name] = n
    conn.execute(delete(Tenant.__table__).where(Tenant.__table__.c.id == tenant.id))
    deleted["tenants"] = 1
    return deleted
