"""Per-client retention: how long closed work, history and logs are kept (YAML ``retention``).

Outsourcers are asked for it in every tender: a client's data is kept no longer than its
contract says. Core keeps three kinds; plugins add theirs (``ccctl_retention_kinds``) and
delete what is theirs when asked (``ccctl_apply_retention``). `ccctl retention apply` runs it
from cron; `--dry-run` counts and deletes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from ccctl.db.models import AuditEntry, Interaction, WorkItem

if TYPE_CHECKING:  # annotations only: context.py imports this module (retention_kinds)
    from ccctl.context import TenantContext

# kind → what goes once it is older than the tenant's period.
CORE_KINDS = {
    "closed_items": "items closed longer ago than this, with their history events",
    "history": "history events (every channel) older than this",
    "audit": "audit log entries older than this",
}
_PERIOD = re.compile(r"^\s*(\d{1,5})\s*(d|w|mo|y)\s*$")
_DAYS = {"d": 1, "w": 7, "mo": 30, "y": 365}


def parse_period(text: str) -> timedelta:
    """``90d``, ``12w``, ``18mo``, ``2y`` → a duration of at least a day. A month is 30 days, a
    year 365: rounding down never deletes sooner than the contract says."""
    match = _PERIOD.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a period like 90d, 12w, 18mo or 2y")
    days = int(match.group(1)) * _DAYS[match.group(2)]
    if days < 1:
        raise ValueError(f"'{text}' is shorter than a day")
    return timedelta(days=days)


def apply_core(ctx: TenantContext, policy: dict[str, timedelta], now: datetime, dry_run: bool) -> dict[str, int]:
    """Delete (or with ``dry_run`` count) the core rows past their period; rows per kind."""
    tenant_id, done = ctx.tenant.id, {}
    if "closed_items" in policy:
        old = select(WorkItem.id).where(WorkItem.tenant_id == tenant_id, WorkItem.state == "closed",
                                        WorkItem.closed_at < now - policy["closed_items"])
        events = Interaction.tenant_id == tenant_id, Interaction.item_id.in_(old)
        if not dry_run:  # their history events first, while the subquery still finds the items
            ctx.session.execute(delete(Interaction).where(*events))
        done["closed_items"] = count_or_delete(ctx.session, WorkItem, (WorkItem.id.in_(old),), dry_run)
    if "history" in policy:
        done["history"] = count_or_delete(ctx.session, Interaction, (
            Interaction.tenant_id == tenant_id, Interaction.occurred_at < now - policy["history"]), dry_run)
    if "audit" in policy:
        done["audit"] = count_or_delete(ctx.session, AuditEntry, (
            AuditEntry.tenant_id == tenant_id, AuditEntry.at < now - policy["audit"]), dry_run)
    return done


def count_or_delete(session, model, where: tuple, dry_run: bool) -> int:
    """Rows of ``model`` matching ``where``: counted with ``dry_run``, else deleted (for plugins too)."""
    if dry_run:
        return session.scalar(select(func.count()).select_from(model).where(*where))
    return session.execute(delete(model).where(*where)).rowcount


def policy_of(tenant, known: dict[str, str]) -> dict[str, timedelta]:
    """The tenant's stored ``retention`` section as durations (validated on `tenant apply`)."""
    return {kind: parse_period(period) for kind, period in (tenant.config.get("retention") or {}).items()
            if kind in known}
