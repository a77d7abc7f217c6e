"""``customer find`` on SQLite without loading SQLAlchemy.

Operators call ``customer find`` in loops, and pipe thousands of numbers into
``customer find -``; importing SQLAlchemy costs more than the look-ups. When the database
is an SQLite file already at the newest schema and the tenant is known, this module
answers phones, emails (and, for ``find -``, indexed attribute values) with the standard
library's ``sqlite3``, in the row shape of ``customer_row``. Otherwise it returns None and
the ordinary path (which also gives every error message) runs instead.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any

PREFIX = "sqlite:///"
IN_LIMIT = 900


def open_quick(app, tenant_slug: str | None):
    """(sqlite3 connection, tenant id, phone region), or None when the quick path does not apply."""
    import sqlite3

    from ccctl.db.engine import database_url
    from ccctl.db.schema import declared_heads

    url = database_url(app._database_url)
    path = url[len(PREFIX):] if url.startswith(PREFIX) else ""
    if not path or "?" in path or path == ":memory:" or not os.path.exists(path):
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    try:
        declared = declared_heads(app.pm)
        applied = {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
        tenant = _tenant(conn, tenant_slug or os.environ.get("CCCTL_TENANT"))
    except sqlite3.Error:
        tenant = declared = None
    if not declared or declared != applied or tenant is None:  # the ordinary path migrates, or explains
        conn.close()
        return None
    tenant_id, config = tenant
    return conn, tenant_id, (json.loads(config or "{}") or {}).get("default_region") or "FR"


def quick_find(app, tenant_slug: str | None, query: str) -> list[dict[str, Any]] | None:
    """The customer owning ``query`` (a phone or email), or None when this path does not apply."""
    from ccctl.contacts import classify

    opened = open_quick(app, tenant_slug)
    if opened is None:
        return None
    conn, tenant_id, region = opened
    try:
        contact = classify(query, region)
        return None if contact is None else find_many(conn, tenant_id, region, [query], names=False)[0]
    finally:
        conn.close()


def find_many(conn, tenant_id: int, region: str, queries: list[str], names: bool = True) -> list[list[dict[str, Any]]]:
    """Each query's customers: phone or email, else a value of an indexed attribute (a few IN queries
    for the whole batch). Same answers as ``ccctl.identity.directory.find_many``."""
    from ccctl.contacts import classify

    kinds = [classify(q, region) for q in queries]
    owners: dict[tuple[str, str], list[int]] = {}
    for kind in ("email", "phone"):
        values = sorted({c[1] for c in kinds if c and c[0] == kind})
        for part in _parts(values):
            marks = ",".join("?" * len(part))
            for value, cid in conn.execute(f"SELECT value, customer_id FROM contact_points WHERE tenant_id = ? "
                                           f"AND kind = ? AND value IN ({marks})", (tenant_id, kind, *part)):
                owners[(kind, value)] = [cid]
    plain = sorted({q.strip() for q, c in zip(queries, kinds) if c is None and q.strip()}) if names else []
    for part in _parts(plain):
        marks = ",".join("?" * len(part))
        for value, cid in conn.execute(f"SELECT value, customer_id FROM customer_attributes WHERE tenant_id = ? "
                                       f"AND value IN ({marks}) ORDER BY customer_id", (tenant_id, *part)):
            owners.setdefault(("attribute", value), []).append(cid)
    rows = _rows(conn, tenant_id, sorted({cid for found in owners.values() for cid in found}))
    out = []
    for query, kind in zip(queries, kinds):
        found = owners.get(kind) if kind else owners.get(("attribute", query.strip()))
        out.append([rows[cid] for cid in dict.fromkeys(found or []) if cid in rows])
    return out


def _parts(values: list) -> list[list]:
    return [values[i:i + IN_LIMIT] for i in range(0, len(values), IN_LIMIT)]


def _tenant(conn, slug: str | None) -> tuple[int, str] | None:
    if slug:
        return conn.execute("SELECT id, config FROM tenants WHERE slug = ?", (slug,)).fetchone()
    rows = conn.execute("SELECT id, config FROM tenants LIMIT 2").fetchall()
    return rows[0] if len(rows) == 1 else None


def _rows(conn, tenant_id: int, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for part in _parts(ids):
        marks = ",".join("?" * len(part))
        for cid, name, created in conn.execute(
                f"SELECT id, name, created_at FROM customers WHERE tenant_id = ? AND merged_into_id IS NULL "
                f"AND id IN ({marks})", (tenant_id, *part)):
            rows[cid] = {"id": cid, "name": name, "emails": [], "phones": [], "created_at": _utc(created)}
        for cid, kind, value in conn.execute(f"SELECT customer_id, kind, value FROM contact_points "
                                             f"WHERE customer_id IN ({marks}) ORDER BY id", part):
            if cid in rows:
                rows[cid][f"{kind}s"].append(value)
    return rows


def _utc(text: str | None) -> datetime | None:
    # Stored as SQLAlchemy writes an aware datetime on SQLite: UTC, without the offset.
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc) if text else None
