"""Follow-ups as rows of ``ccctl callback list`` (``ccctl_list_callbacks``): when, whom to call, the
original request and what was sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ccctl.context import TenantContext
from ccctl.db.models import ContactPoint, Customer, WorkItem
from ccctl_fulfil.follow_up import CHANNEL

LIVE = ("open", "claimed", "waiting")


def follow_up_state(item: WorkItem) -> str:
    """In the call-back list's words: ``scheduled`` until closed, then its outcome (``cancelled``...)."""
    return "scheduled" if item.state in LIVE else (item.outcome or "closed")


def callback_rows(ctx: TenantContext, state: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(WorkItem).where(WorkItem.tenant_id == ctx.tenant.id, WorkItem.channel == CHANNEL)
    if state == "scheduled":
        query = query.where(WorkItem.state.in_(LIVE))
    elif state:
        query = query.where(WorkItem.state == "closed", WorkItem.outcome == state)
    items = list(ctx.session.scalars(query.order_by(WorkItem.not_before, WorkItem.id).limit(limit)))
    ids = {item.customer_id for item in items if item.customer_id is not None}
    names = dict(ctx.session.execute(select(Customer.id, Customer.name).where(
        Customer.tenant_id == ctx.tenant.id, Customer.id.in_(ids))).all()) if ids else {}
    phones: dict[int, str] = {}
    if ids:
        for customer_id, value in ctx.session.execute(select(ContactPoint.customer_id, ContactPoint.value).where(
                ContactPoint.tenant_id == ctx.tenant.id, ContactPoint.kind == "phone",
                ContactPoint.customer_id.in_(ids)).order_by(ContactPoint.id)):
            phones.setdefault(customer_id, value)
    return [_row(item, names.get(item.customer_id, ""), phones.get(item.customer_id, "")) for item in items]


def _row(item: WorkItem, name: str, phone: str) -> dict[str, Any]:
    attributes = item.attributes or {}
    asked, sent = attributes.get("follow_up_of"), attributes.get("sent", "")
    request = attributes.get("request", "")
    return {"request": None, "item": item.id, "customer": item.customer_id, "name": name, "phone": phone,
            "slot": item.not_before, "state": follow_up_state(item), "attempts": None, "source": CHANNEL,
            "reason": f"Follow-up of item {asked} ({request}): {sent}",
            "context": {"request_item": asked, "request": request, "message": attributes.get("message", ""),
                        "sent": sent}}
