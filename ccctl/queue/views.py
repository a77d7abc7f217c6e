"""Rows for listings: items with age, due time and breach; per-queue counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from ccctl.db.models import LIVE_STATE, Tenant, WorkItem, utcnow

ITEM_COLUMNS = ["id", "queue", "channel", "state", "priority", "subject", "age", "due_at", "breached", "claimed_by"]
STATS_COLUMNS = ["queue", "open", "scheduled", "claimed", "waiting", "breached", "oldest_age", "next_due"]


def span(delta: timedelta | None) -> str:
    """A short human duration: 45m, 3h05m, 2d04h."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d{hours:02d}h"
    return f"{sign}{hours}h{mins:02d}m" if hours else f"{sign}{mins}m"


def breached(item: WorkItem, now: datetime) -> bool:
    end = item.closed_at if item.state == "closed" else now
    return item.due_at is not None and end is not None and end > item.due_at


def item_row(item: WorkItem, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "id": item.id, "queue": item.queue, "channel": item.channel, "state": item.state,
        "priority": item.priority, "subject": item.subject, "customer_id": item.customer_id,
        "age": span((item.closed_at or now) - item.created_at), "due_at": item.due_at,
        "breached": breached(item, now), "not_before": item.not_before, "claimed_by": item.claimed_by,
        "skills": item.skills, "routed_by": item.routed_by, "outcome": item.outcome,
        "created_at": item.created_at, "closed_at": item.closed_at,
    }


def list_items(session: Session, tenant: Tenant, *, queue: str | None = None, states: list[str] | None = None,
               only_breached: bool = False, limit: int = 100) -> list[WorkItem]:
    now = utcnow()
    query = select(WorkItem).where(WorkItem.tenant_id == tenant.id)
    if queue:
        query = query.where(WorkItem.queue == queue)
    if states:
        query = query.where(WorkItem.state.in_(states))
        if "closed" not in states:
            query = query.where(text(LIVE_STATE))  # the term ix_work_items_live is declared with
    if only_breached:
        query = query.where(WorkItem.state != "closed", WorkItem.due_at < now)
    query = query.order_by(WorkItem.priority.desc(), WorkItem.due_at.asc(), WorkItem.id.asc()).limit(limit)
    return list(session.scalars(query))


def queue_stats(session: Session, tenant: Tenant, queue: str | None = None) -> list[dict[str, Any]]:
    """Counts per queue of the tenant (every configured queue appears, even when empty)."""
    now = utcnow()
    live = WorkItem.state != "closed"
    scheduled = (WorkItem.state == "open") & WorkItem.not_before.is_not(None) & (WorkItem.not_before > now)
    ready = (WorkItem.state == "open") & (WorkItem.not_before.is_(None) | (WorkItem.not_before <= now))

    def count(cond):
        return func.sum(case((cond, 1), else_=0))

    query = (
        select(WorkItem.queue,
               count(ready).label("open"),
               count(scheduled).label("scheduled"),
               count(WorkItem.state == "claimed").label("claimed"),
               count(WorkItem.state == "waiting").label("waiting"),
               count(live & (WorkItem.due_at < now)).label("breached"),
               func.min(case((live, WorkItem.created_at))).label("oldest"),
               func.min(case((live, WorkItem.due_at))).label("next_due"))
        .where(WorkItem.tenant_id == tenant.id, text(LIVE_STATE))  # as ix_work_items_live is declared
        .group_by(WorkItem.queue)
    )
    found = {row.queue: row for row in session.execute(query)}
    names = [q["name"] for q in tenant.config.get("queues") or []]
    names += sorted(set(found) - set(names))  # items left in a queue since removed from the YAML
    rows = []
    for name in names:
        if queue and name != queue:
            continue
        row = found.get(name)
        oldest = _aware(row.oldest) if row else None
        rows.append({
            "queue": name, "open": int(row.open or 0) if row else 0,
            "scheduled": int(row.scheduled or 0) if row else 0, "claimed": int(row.claimed or 0) if row else 0,
            "waiting": int(row.waiting or 0) if row else 0, "breached": int(row.breached or 0) if row else 0,
            "oldest_age": span(now - oldest) if oldest else "", "next_due": _aware(row.next_due) if row else None,
        })
    return rows


def _aware(value):
    """MIN() over a TypeDecorator column comes back raw on SQLite: give it its UTC zone back."""
    from datetime import timezone

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
