"""The audit log: who exported, erased or reported what, and when.

Details hold ids, periods and counts only, never a name, phone or email: the log
must survive an erasure without keeping the erased person in it.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import AuditEntry, Tenant


ACTOR_VARIABLES = ("CCCTL_ACTOR", "USER", "LOGNAME")


def current_actor(actor: str | None = None) -> str:
    """``actor`` if given, else ``$CCCTL_ACTOR``, ``$USER``, ``$LOGNAME``, else the process's user name
    (cron and containers often set no ``$USER``), else ``uid:N``."""
    named = actor or next((os.environ[v] for v in ACTOR_VARIABLES if (os.environ.get(v) or "").strip()), "")
    return (named.strip() or _process_user())[:100]


def _process_user() -> str:
    import pwd

    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid with no passwd entry, as in many containers
        return f"uid:{uid}"


def audit(session: Session, tenant_id: int | None, actor: str | None, action: str, target: str = "",
          details: dict[str, Any] | None = None) -> AuditEntry:
    """Record one action in the caller's transaction (it commits or rolls back with the work)."""
    import json

    from ccctl.output import to_json

    # Dates and decimals become the strings every output shows.
    entry = AuditEntry(tenant_id=tenant_id, actor=current_actor(actor), action=action, target=target[:200],
                       details=json.loads(to_json(details or {}, indent=None)))
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, tenant: Tenant | None = None, since: datetime | None = None,
            action: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Audit rows, newest first, as dicts (with the tenant's slug)."""
    query = (select(AuditEntry, Tenant.slug).outerjoin(Tenant, Tenant.id == AuditEntry.tenant_id)
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    if tenant is not None:
        query = query.where(AuditEntry.tenant_id == tenant.id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if limit:
        query = query.limit(limit)
    return [
        {"id": e.id, "at": e.at, "tenant": slug or "", "actor": e.actor, "action": e.action,
         "target": e.target, "details": e.details}
        for e, slug in session.execute(query)
    ]
