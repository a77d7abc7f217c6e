"""``queue escalate`` (cron): late open items climb in priority, or move to another queue.

Idempotent: the step an item deserves follows from how late it is (one step, then one more
per ``every`` of lateness), and only steps not yet applied are applied, so re-running the
job at the same moment changes nothing while a call-back's priority keeps rising as its
slot recedes into the past.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from ccctl.config.model import parse_duration
from ccctl.db.models import LIVE_STATE, Tenant, WorkItem, utcnow
from ccctl.queue.config import Escalation
from ccctl.queue.history import record_step
from ccctl.queue.skills import normalise, skill_set_id
from ccctl.queue.views import span


def lateness(item: WorkItem, rule: Escalation, now: datetime) -> timedelta | None:
    """How late the item is (past its due time, or its slot plus ``late_after``), None if not late."""
    late = []
    if item.due_at is not None and item.due_at < now:
        late.append(now - item.due_at)
    if item.not_before is not None:
        slot_late = now - item.not_before - timedelta(minutes=parse_duration(rule.late_after))
        if slot_late > timedelta(0):
            late.append(slot_late)
    return max(late) if late else None


def escalate(session: Session, tenant: Tenant, now: datetime | None = None, dry_run: bool = False) -> list[dict[str, Any]]:
    """Apply the steps each late open item of ``tenant`` is owed; one row per item changed."""
    now = now or utcnow()
    queues = {q["name"]: q for q in tenant.config.get("queues") or []}
    candidates = list(session.scalars(
        select(WorkItem).where(WorkItem.tenant_id == tenant.id, WorkItem.state == "open", text(LIVE_STATE),
                               or_(WorkItem.due_at < now, WorkItem.not_before < now))
        .order_by(WorkItem.id).with_for_update(skip_locked=True)))
    changes = []
    for item in candidates:
        spec = queues.get(item.queue)
        if spec is None:
            continue  # its queue left the YAML; `queue list` still shows it
        rule = Escalation.model_validate(spec.get("escalation") or {})
        late = lateness(item, rule, now)
        if late is None:
            continue
        level = 1 + int(late / timedelta(minutes=parse_duration(rule.every)))
        if level <= item.escalation_level:
            continue
        steps = level - item.escalation_level
        queue, priority = item.queue, item.priority
        if rule.move_to and item.escalation_level == 0 and rule.move_to in queues:
            queue, priority = rule.move_to, max(priority, queues[rule.move_to].get("priority", 0))
        elif rule.raise_by and priority < rule.max_priority:
            priority = min(rule.max_priority, priority + rule.raise_by * steps)
        changes.append({"id": item.id, "from_queue": item.queue, "queue": queue, "from_priority": item.priority,
                        "priority": priority, "level": level, "late_by": span(late)})
        if not dry_run:
            _apply(session, tenant, item, queues, queue, priority, level)
    session.flush()
    return changes


def _apply(session: Session, tenant: Tenant, item: WorkItem, queues: dict[str, Any], queue: str,
           priority: int, level: int) -> None:
    moved = f"moved {item.queue} → {queue}, " if queue != item.queue else ""
    summary = f"escalated (level {level}): {moved}priority {item.priority} → {priority}"
    if queue != item.queue:
        item.queue = queue
        item.skills = normalise(queues[queue].get("skills", []))
        item.skill_set_id = skill_set_id(session, item.skills)
    item.priority, item.escalation_level = priority, level
    record_step(session, tenant, item, "escalated", summary, actor="escalate", once_key=f"escalate:{level}",
                level=level)
