"""Creating work items: the one function every channel plugin calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ccctl.context import TenantContext
from ccctl.db.models import Customer, WorkItem, utcnow
from ccctl.db.upsert import insert_or_skip
from ccctl.errors import CcctlError
from ccctl.queue.history import insert_step
from ccctl.queue.routing import Decision, Sample, needs_customer, parse_rules, route
from ccctl.queue.skills import normalise, skill_key, skill_set_id
from ccctl.queue.sla import due_at as sla_due_at


def create_item(ctx: TenantContext, channel: str, *, subject: str = "", body: str = "",
                customer_id: int | None = None, queue: str | None = None, priority: int | None = None,
                not_before: datetime | None = None, attributes: dict[str, Any] | None = None,
                external_ref: str | None = None, skills: list[str] | None = None,
                sla: str | None = None) -> tuple[WorkItem, bool]:
    """Route, give an SLA due time, store, then fire ``ccctl_item_created``: (item, created).

    ``queue=None`` lets the tenant's routing rules decide (queue, priority, extra skills);
    an explicit ``priority`` or ``skills`` wins over both queue and rule. The SLA clock starts
    at ``not_before`` when that is later than now, and runs in the tenant's business hours;
    ``sla`` (e.g. "8h": a channel's own SLA) replaces the chosen queue's.
    The same ``external_ref`` on a channel returns the existing item (re-runs are harmless).
    """
    session, tenant = ctx.session, ctx.tenant
    if external_ref is not None:
        existing = _by_ref(ctx, channel, external_ref)
        if existing is not None:
            return existing, False
    values, how = plan_item(ctx, channel, subject=subject, body=body, customer_id=customer_id, queue=queue,
                            priority=priority, not_before=not_before, attributes=attributes,
                            external_ref=external_ref, skills=skills, sla=sla)
    if external_ref is None:  # nothing it could collide with
        item = WorkItem(**values)
        session.add(item)
        session.flush()
    else:  # a concurrent writer may store the same ref first: then theirs is the item
        item = insert_or_skip(session, WorkItem, values, conflict=("tenant_id", "channel", "external_ref"))
        if item is None:
            return _by_ref(ctx, channel, external_ref), False
    # A new item's "created" step cannot be there yet: one plain INSERT, no look-up first.
    insert_step(session.connection(), tenant.id, item, now=utcnow(), **created_step(ctx, item, how))
    ctx.hook("ccctl_item_created")(item=item, ctx=ctx)
    return item, True


def create_items(ctx: TenantContext, specs: list[dict[str, Any]],
                 history: Callable[[int, WorkItem], list[dict[str, Any]]] | None = None,
                 ids: bool = False, events: list[dict[str, Any]] = (), fresh: bool = False,
                 ) -> list[tuple[Any, bool]]:
    """Bulk :func:`create_item`: each spec is its keyword arguments (``channel`` included).

    Known ``external_ref``s are found with one query per channel, the new items stored with
    one INSERT and their "created" steps with another, then ``ccctl_item_created`` fires for
    each new item. The result is aligned with ``specs``. Should a concurrent writer store one
    of the refs first, the batch is redone one item at a time.
    ``history(index, item)`` gives more events (:func:`record_interaction` keyword arguments,
    ``channel`` included) for each new item: they go in with its "created" step, in one INSERT.
    ``ids=True`` gives ``(item id, created)`` and builds no ORM object for a batch importer
    that keeps only ids (``history`` then sees the item's column values as attributes); the
    items are loaded for ``ccctl_item_created`` only when an enabled plugin implements it.
    ``events``: history events tied to no new item, stored in the same INSERT (one statement less
    for a batch that has both). ``fresh=True``: the caller has just looked up, in this transaction,
    that no ``external_ref`` and no history external id is stored yet; the lookups are skipped (the
    unique indexes and the one-at-a-time redo still guard against a concurrent writer).
    """
    from types import SimpleNamespace

    from ccctl.customers import record_interactions
    from ccctl.db.bulk import insert_ids, insert_missing
    from ccctl.queue.history import step_fields

    session = ctx.session
    keys = [(s["channel"], s["external_ref"]) if s.get("external_ref") is not None else None for s in specs]
    known: dict[tuple[str, str], Any] = {}
    for channel in {s["channel"] for s in specs} if not fresh else ():
        refs = [key[1] for key in keys if key and key[0] == channel]
        if refs:
            where = (WorkItem.tenant_id == ctx.tenant.id, WorkItem.channel == channel, WorkItem.external_ref.in_(refs))
            if ids:
                known.update(((channel, ref), i) for ref, i in session.execute(
                    select(WorkItem.external_ref, WorkItem.id).where(*where)))
            else:
                known.update(((channel, i.external_ref), i) for i in session.scalars(select(WorkItem).where(*where)))
    hows: dict[int, str] = {}
    planned: dict[int, dict[str, Any]] = {}
    batch = Batch()

    def values_of(n: int) -> dict[str, Any]:
        planned[n], hows[n] = plan_item(ctx, **specs[n], batch=batch)
        return planned[n]

    out = insert_missing(session, WorkItem, keys, known, values_of, insert=insert_ids if ids else None)
    if out is None:
        out = [create_item(ctx, **spec) for spec in specs]
        record_interactions(session, ctx.tenant, [*events, *(
            event for n, (item, created) in enumerate(out) if created for event in (history or _none)(n, item))],
            ids=True)
        return [(item.id, created) for item, created in out] if ids else out
    new = {n: SimpleNamespace(**planned[n], id=item) if ids else item
           for n, (item, created) in enumerate(out) if created}
    extra = history or _none
    record_interactions(session, ctx.tenant, [*events, *(
        event for n, item in new.items()
        for event in [step_fields(item, **created_step(ctx, item, hows[n])), *extra(n, item)])], ids=True, fresh=fresh)
    created = ctx.hook("ccctl_item_created")
    if ids and new and created.get_hookimpls():
        loaded = {i.id: i for i in session.scalars(select(WorkItem).where(
            WorkItem.id.in_([item.id for item in new.values()])))}
        new = {n: loaded[item.id] for n, item in new.items()}
    for item in new.values():
        created(item=item, ctx=ctx)
    return out


def _none(_n: int, _item: Any) -> list[dict[str, Any]]:
    return []


@dataclass
class Batch:
    """What the items of one batch share: one clock reading (they arrived together, so their SLA
    clocks start together) and what follows from it, worked out once per queue."""

    now: datetime = field(default_factory=utcnow)
    skill_ids: dict[str, int] = field(default_factory=dict)  # skill key -> skill set id
    due: dict[tuple, datetime] = field(default_factory=dict)  # (queue, sla, start) -> due time


def plan_item(ctx: TenantContext, channel: str, *, subject: str = "", body: str = "",
              customer_id: int | None = None, queue: str | None = None, priority: int | None = None,
              not_before: datetime | None = None, attributes: dict[str, Any] | None = None,
              external_ref: str | None = None, skills: list[str] | None = None, sla: str | None = None,
              batch: Batch | None = None) -> tuple[dict[str, Any], str]:
    """The column values of a new item (routed, SLA due time set) and how its queue was chosen.

    ``batch``: shared by the items created together (:func:`create_items`).
    """
    from ccctl.lifecycle import refuse_archived

    refuse_archived(ctx.tenant)  # every new item of every channel is planned here
    batch = batch or Batch()
    attributes = dict(attributes or {})
    decision = decide(ctx, channel, subject, body, customer_id, attributes) if queue is None \
        else Decision(None, queue)
    spec = queue_spec(ctx, decision.queue)
    now = batch.now
    start = max(now, not_before) if not_before else now
    if (decision.queue, sla, start) not in batch.due:
        batch.due[decision.queue, sla, start] = sla_due_at(start, {**spec, "sla": sla} if sla else spec,
                                                           ctx.tenant.config)
    if priority is None:
        priority = spec.get("priority", 0) if decision.priority is None else decision.priority
    if skills is None:
        skills = [*spec.get("skills", []), *decision.skills]
    key = skill_key(skills)
    if key not in batch.skill_ids:
        batch.skill_ids[key] = skill_set_id(ctx.session, skills)
    values = dict(
        tenant_id=ctx.tenant.id, channel=channel, queue=decision.queue, customer_id=customer_id,
        subject=subject[:500], body=body, priority=priority, skills=normalise(skills),
        skill_set_id=batch.skill_ids[key], not_before=not_before, due_at=batch.due[decision.queue, sla, start],
        attributes=attributes, external_ref=external_ref, routed_by=decision.rule,
        created_at=now,  # the SLA clock's start, to the microsecond
    )
    how = f"rule {decision.rule}" if decision.rule else ("the caller" if queue else "default queue")
    return values, how


def created_step(ctx: TenantContext, item: WorkItem, how: str) -> dict[str, Any]:
    """The ``record_step`` arguments of an item's "created" step."""
    from ccctl.clock import shown

    due = shown(item.due_at, ctx.tenant.timezone)
    return dict(step="created", summary=f"queued in {item.queue} ({how}), due {due}",
                actor=ctx.actor, once_key="created", rule=item.routed_by, priority=item.priority)


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
