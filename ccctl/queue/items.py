"""Creating work items: the one function every channel plugin calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ccctl.context import TenantContext
from ccctl.db.models import WorkItem, utcnow
from ccctl.errors import CcctlError


def create_item(ctx: TenantContext, channel: str, *, subject: str = "", body: str = "",
                customer_id: int | None = None, queue: str | None = None, priority: int | None = None,
                not_before: datetime | None = None, attributes: dict[str, Any] | None = None,
                external_ref: str | None = None, skills: list[str] | None = None) -> tuple[WorkItem, bool]:
    """Route, give an SLA due time, store, then fire ``ccctl_item_created``: (item, created).

    The same ``external_ref`` on a channel returns the existing item (re-runs are harmless).
    """
    session, tenant = ctx.session, ctx.tenant
    if external_ref is not None:
        existing = _by_ref(ctx, channel, external_ref)
        if existing is not None:
            return existing, False
    queues = tenant.config.get("queues") or []
    if queue is None:
        if not queues:
            raise CcctlError(f"tenant {tenant.slug} has no queue: add one under 'queues' in its YAML")
        queue = queues[0]["name"]
    spec = next((q for q in queues if q["name"] == queue), None)
    if spec is None:
        raise CcctlError(f"tenant {tenant.slug} has no queue '{queue}'")
    now = utcnow()
    from ccctl.config.model import parse_duration

    start = max(now, not_before) if not_before else now
    item = WorkItem(
        tenant_id=tenant.id, channel=channel, queue=queue, customer_id=customer_id, subject=subject[:500],
        body=body, priority=spec.get("priority", 0) if priority is None else priority,
        skills=list(skills if skills is not None else spec.get("skills", [])),
        not_before=not_before, due_at=start + timedelta(minutes=parse_duration(spec.get("sla", "24h"))),
        attributes=attributes or {}, external_ref=external_ref,
    )
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        existing = _by_ref(ctx, channel, external_ref) if external_ref else None
        if existing is None:
            raise
        return existing, False
    ctx.hook("ccctl_item_created")(item=item, ctx=ctx)
    return item, True


def _by_ref(ctx: TenantContext, channel: str, external_ref: str) -> WorkItem | None:
    return ctx.session.scalar(select(WorkItem).where(
        WorkItem.tenant_id == ctx.tenant.id, WorkItem.channel == channel, WorkItem.external_ref == external_ref))


def get_item(ctx: TenantContext, item_id: int) -> WorkItem:
    item = ctx.session.scalar(select(WorkItem).where(WorkItem.id == item_id, WorkItem.tenant_id == ctx.tenant.id))
    if item is None:
        raise CcctlError(f"no item {item_id} for tenant {ctx.tenant.slug}")
    return item
