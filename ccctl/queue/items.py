"""Creating work items: the one function every channel plugin calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ccctl.context import TenantContext
from ccctl.db.models import Customer, WorkItem, utcnow
from ccctl.errors import CcctlError
from ccctl.queue.history import record_step
from ccctl.queue.routing import Decision, Sample, needs_customer, parse_rules, route
from ccctl.queue.skills import normalise, skill_set_id
from ccctl.queue.sla import due_at


def create_item(ctx: TenantContext, channel: str, *, subject: str = "", body: str = "",
                customer_id: int | None = None, queue: str | None = None, priority: int | None = None,
                not_before: datetime | None = None, attributes: dict[str, Any] | None = None,
                external_ref: str | None = None, skills: list[str] | None = None) -> tuple[WorkItem, bool]:
    """Route, give an SLA due time, store, then fire ``ccctl_item_created``: (item, created).

    ``queue=None`` lets the tenant's routing rules decide (queue, priority, extra skills);
    an explicit ``priority`` or ``skills`` wins over both queue and rule. The SLA clock starts
    at ``not_before`` when that is later than now, and runs in the tenant's business hours.
    The same ``external_ref`` on a channel returns the existing item (re-runs are harmless).
    """
    session, tenant = ctx.session, ctx.tenant
    if external_ref is not None:
        existing = _by_ref(ctx, channel, external_ref)
        if existing is not None:
            return existing, False
    attributes = dict(attributes or {})
    decision = decide(ctx, channel, subject, body, customer_id, attributes) if queue is None \
        else Decision(None, queue)
    spec = queue_spec(ctx, decision.queue)
    now = utcnow()
    start = max(now, not_before) if not_before else now
    if priority is None:
        priority = spec.get("priority", 0) if decision.priority is None else decision.priority
    if skills is None:
        skills = [*spec.get("skills", []), *decision.skills]
    item = WorkItem(
        tenant_id=tenant.id, channel=channel, queue=decision.queue, customer_id=customer_id,
        subject=subject[:500], body=body, priority=priority, skills=normalise(skills),
        skill_set_id=skill_set_id(session, skills), not_before=not_before,
        due_at=due_at(start, spec, tenant.config), attributes=attributes, external_ref=external_ref,
        routed_by=decision.rule,
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
    how = f"rule {decision.rule}" if decision.rule else ("the caller" if queue else "default queue")
    record_step(session, tenant, item, "created", f"queued in {item.queue} ({how}), due {item.due_at:%Y-%m-%d %H:%M} UTC",
                actor=ctx.actor, once_key="created", rule=decision.rule, priority=item.priority)
    ctx.hook("ccctl_item_created")(item=item, ctx=ctx)
    return item, True


def decide(ctx: TenantContext, channel: str, subject: str, body: str, customer_id: int | None,
           attributes: dict[str, Any]) -> Decision:
    """The routing decision for an item that names no queue."""
    rules = parse_rules(ctx.tenant.config)
    customer_attrs: dict[str, Any] = {}
    if customer_id is not None and needs_customer(rules):
        customer = ctx.session.get(Customer, customer_id)
        if customer is not None and customer.tenant_id == ctx.tenant.id:
            customer_attrs = dict(customer.attributes or {})
    try:
        return route(rules, ctx.tenant.config.get("queues") or [],
                     Sample(channel, subject, body, attributes, customer_attrs))
    except LookupError:
        raise CcctlError(f"tenant {ctx.tenant.slug} has no queue: add one under 'queues' in its YAML") from None


def queue_spec(ctx: TenantContext, name: str) -> dict[str, Any]:
    """The YAML dict of queue ``name`` of the tenant; an error naming the known queues otherwise."""
    queues = ctx.tenant.config.get("queues") or []
    spec = next((q for q in queues if q["name"] == name), None)
    if spec is None:
        known = ", ".join(q["name"] for q in queues) or "none"
        raise CcctlError(f"tenant {ctx.tenant.slug} has no queue '{name}' (queues: {known})")
    return spec


def _by_ref(ctx: TenantContext, channel: str, external_ref: str) -> WorkItem | None:
    return ctx.session.scalar(select(WorkItem).where(
        WorkItem.tenant_id == ctx.tenant.id, WorkItem.channel == channel, WorkItem.external_ref == external_ref))


def get_item(ctx: TenantContext, item_id: int) -> WorkItem:
    item = ctx.session.scalar(select(WorkItem).where(WorkItem.id == item_id, WorkItem.tenant_id == ctx.tenant.id))
    if item is None:
        raise CcctlError(f"no item {item_id} for tenant {ctx.tenant.slug}")
    return item
