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


def match_customer(ctx: TenantContext, points: list[tuple[str, str]], name: str) -> Customer:
    """The customer an event is about: the owner of its email, else of its phone, else a new one; a
    contact point nobody owns yet is added to them (as the contact form does).

    The one place that decides; the customer matching rules of imports replace it when they land.
    """
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
    first delivery made, so a client retrying after a timeout gets the same answer.
    """
    return [store_event(ctx, event, points, config) for event, points, config in jobs]


def store_event(ctx: TenantContext, event: SiteEvent, points: list[tuple[str, str]],
                config: SiteConfig) -> dict[str, Any]:
    from ccctl.customers import record_interaction
    from ccctl.queue.items import create_item

    ref = f"event:{event.id}"
    customer = match_customer(ctx, points, event.customer.name)
    attributes = event.attributes()
    row, created = record_interaction(
        ctx.session, ctx.tenant, CHANNEL, customer_id=customer.id, direction="in", summary=summary(event),
        payload={"event_id": event.id, "type": event.type, "data": attributes}, external_id=ref,
        occurred_at=event.occurred_at)
    if created and event.type in config.create_items:
        item, _new = create_item(ctx, CHANNEL, subject=f"{SUBJECTS[event.type]}: {summary(event, 150)}",
                                 body=event.data.message or "", customer_id=customer.id, attributes=attributes,
                                 external_ref=ref)
        row.item_id = item.id
    return {"id": event.id, "duplicate": not created, "customer": row.customer_id, "item": row.item_id}


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
