"""``customer find PHONE|EMAIL`` on SQLite without loading SQLAlchemy.

Operators call ``customer find`` in loops; importing SQLAlchemy costs more than the rest
of the command. For the common case (a phone or an email, an SQLite database already at
the newest schema, a known tenant) this module answers with the standard library's
``sqlite3`` and the same row shape as ``customer_row``. Anything else returns None and
the ordinary path (which also gives every error message) runs instead.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any

PREFIX = "sqlite:///"


def quick_find(app, tenant_slug: str | None, query: str) -> list[dict[str, Any]] | None:
    """The customers owning ``query`` (a phone or email), or None when this path does not apply."""
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
        if not declared or declared != applied:
            return None  # the ordinary path migrates first
        tenant = _tenant(conn, tenant_slug or os.environ.get("CCCTL_TENANT"))
        if tenant is None:
            return None
        tenant_id, config = tenant
        from ccctl.contacts import classify

        contact = classify(query, (json.loads(config or "{}") or {}).get("default_region") or "FR")
        if contact is None:
            return None
        return _owners(conn, tenant_id, *contact)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _tenant(conn, slug: str | None) -> tuple[int, str] | None:
    if slug:
        return conn.execute("SELECT id, config FROM tenants WHERE slug = ?", (slug,)).fetchone()
    rows = conn.execute("SELECT id, config FROM tenants LIMIT 2").fetchall()
    return rows[0] if len(rows) == 1 else None


def _owners(conn, tenant_id: int, kind: str, value: str) -> list[dict[str, Any]]:
    found = conn.execute(
        "SELECT c.id, c.name, c.created_at FROM contact_points p JOIN customers c ON c.id = p.customer_id "
        "WHERE p.tenant_id = ? AND p.kind = ? AND p.value = ?", (tenant_id, kind, value)).fetchone()
    if found is None:
        return []
    customer_id, name, created = found
    row: dict[str, Any] = {"id": customer_id, "name": name, "emails": [], "phones": [],
                           "created_at": _utc(created)}
    for point_kind, point in conn.execute("SELECT kind, value FROM contact_points WHERE customer_id = ? "
                                          "ORDER BY id", (customer_id,)):
        row[f"{point_kind}s"].append(point)
    return [row]


def _utc(text: str | None) -> datetime | None:
    # Stored as SQLAlchemy writes an aware datetime on SQLite: UTC, without the offset.
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc) if text else None
