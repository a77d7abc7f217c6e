"""Storing site events: each matches or creates its customer, lands in the history (once per event id)
and, for the types the tenant names, creates a queue item that the routing rules place."""

from __future__ import annotations

from typing import Any

from ccctl.context import TenantContext
from ccctl.db.models import Customer
from ccctl_site.config import SiteConfig
from ccctl_site.schema import SiteEvent

CHANNEL = "site"
SUBJECTS = {"pre_reservation": "Pre-reservation", "order": "Order", "quote": "Quote request",
            "page_view": "Page viewed", "info_request": "Information request"}


def match_customers(ctx: TenantContext, jobs: list[tuple[SiteEvent, list[tuple[str, str]]]]) -> list[Customer]:
    """The customer each event is about (aligned with ``jobs``): the one place that decides, so the
    customer matching rules of imports replace it in one line when they land.

    An event giving one contact point is matched in bulk (one query and one INSERT per kind of point,
    ``find_or_create_many``); one giving two goes through :func:`match_customer`.
    """
    from ccctl.customers import find_or_create_many

    single: dict[str, dict[str, str]] = {}  # kind → {value: name}
    for event, points in jobs:
        if len(points) == 1:
            single.setdefault(points[0][0], {}).setdefault(points[0][1], event.customer.name)
    found = {kind: find_or_create_many(ctx.session, ctx.tenant, kind, names) for kind, names in single.items()}
    return [found[points[0][0]][points[0][1]] if len(points) == 1 else match_customer(ctx, points, event.customer.name)
            for event, points in jobs]


def match_customer(ctx: TenantContext, points: list[tuple[str, str]], name: str) -> Customer:
    """The owner of the event's email, else of its phone, else a new customer; a contact point nobody
    owns yet is added to them (as the contact form does)."""
    from sqlalchemy.exc import IntegrityError

    from ccctl.customers import find_or_create, owner_of
    from ccctl.db.models import ContactPoint

    session, tenant = ctx.session, ctx.tenant
    owners = {point: owner_of(session, tenant, *point) for point in points}
    customer = next((c for c in owners.values() if c is not None), None)
    if customer is None:
        customer = find_or_create(session, tenant, *points[0], name=name)[0]
        owners[points[0]] = customer
    for (kind, value), owner in owners.items():
        if owner is None:
            try:
                with session.begin_nested():
                    session.add(ContactPoint(tenant_id=tenant.id, customer_id=customer.id, kind=kind, value=value))
                    session.flush()
            except IntegrityError:
                pass  # taken meanwhile by another writer: `customer duplicates` shows such pairs
    return customer


def store_events(ctx: TenantContext, jobs: list[tuple[SiteEvent, list[tuple[str, str]], SiteConfig]],
                 ) -> list[dict[str, Any]]:
    """Store each (event, contact points, tenant settings): a result dict per job, in order.

    An event id already stored is not stored again: its result says ``duplicate`` and names what the
    first delivery made, so a client retrying after a timeout gets the same answer. A batch costs a
    few statements whatever its size: the bulk helpers store customers, history events and items.
    """
    from sqlalchemy import select

    from ccctl.customers import record_interactions
    from ccctl.db.models import Interaction
    from ccctl.queue.items import create_items

    session, tenant = ctx.session, ctx.tenant
    refs = [f"event:{event.id}" for event, _points, _config in jobs]
    known = {ref: (customer, item) for ref, customer, item in session.execute(
        select(Interaction.external_id, Interaction.customer_id, Interaction.item_id).where(
            Interaction.tenant_id == tenant.id, Interaction.channel == CHANNEL, Interaction.external_id.in_(refs)))}
    first: dict[str, int] = {}  # ref → index of its first job in this batch (a repeat is a duplicate)
    fresh = [n for n, ref in enumerate(refs) if ref not in known and first.setdefault(ref, n) == n]
    customers = dict(zip(fresh, match_customers(ctx, [jobs[n][:2] for n in fresh])))
    events = {n: dict(channel=CHANNEL, customer_id=customers[n].id, direction="in", summary=summary(jobs[n][0]),
                      payload={"event_id": jobs[n][0].id, "type": jobs[n][0].type, "data": jobs[n][0].attributes()},
                      external_id=refs[n], occurred_at=jobs[n][0].occurred_at) for n in fresh}
    with_item = [n for n in fresh if jobs[n][0].type in jobs[n][2].create_items]
    items = dict(zip(with_item, create_items(ctx, [
        dict(channel=CHANNEL, subject=f"{SUBJECTS[jobs[n][0].type]}: {summary(jobs[n][0], 150)}",
             body=jobs[n][0].data.message or "", customer_id=customers[n].id, attributes=jobs[n][0].attributes(),
             external_ref=refs[n]) for n in with_item],
        history=lambda k, item: [{**events[with_item[k]], "item_id": item.id}], ids=True)))
    plain = [n for n in fresh if n not in items]
    record_interactions(session, tenant, [events[n] for n in plain], ids=True)
    out = []
    for n, ref in enumerate(refs):
        if n in customers:
            out.append({"id": jobs[n][0].id, "duplicate": False, "customer": customers[n].id,
                        "item": items[n][0] if n in items else None})
        else:  # stored before, or earlier in this batch
            customer, item = known.get(ref) or (customers[first[ref]].id, items[first[ref]][0] if first[ref] in items
                                                else None)
            out.append({"id": jobs[n][0].id, "duplicate": True, "customer": customer, "item": item})
    return out


def summary(event: SiteEvent, width: int = 200) -> str:
    """One line for the timeline: what, which product, how much."""
    data = event.data
    parts = [data.product or data.title or data.reference or data.url or ""]
    if data.amount is not None:
        parts.append(f"{data.amount:g} {data.currency or ''}".strip())
    if data.destination:
        parts.append(data.destination)
    text = ", ".join(p for p in parts if p)
    return f"{event.type}: {text}"[:width] if text else event.type
