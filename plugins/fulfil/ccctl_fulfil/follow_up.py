"""Follow-up items: a call some business days after a document was sent, dropped if the customer
gets in touch first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ccctl.context import TenantContext
from ccctl.db.models import WorkItem
from ccctl_fulfil.config import FulfilConfig

CHANNEL = "fulfil"
REF = "follow-up:"


def schedule(ctx: TenantContext, config: FulfilConfig, request: WorkItem, sent: str, row_id: int,
             now: datetime) -> int | None:
    """Create the follow-up item (not before N business days after ``now``, at an opening); its id."""
    from ccctl.queue.items import create_item
    from ccctl.queue.sla import add_business_days

    if config.follow_up is None:
        return None
    tenant = ctx.tenant.config
    when = add_business_days(now, config.follow_up.after_business_days, tenant.get("business_hours"),
                             tenant.get("timezone") or "UTC", tenant.get("holidays"))
    item, _created = create_item(
        ctx, CHANNEL, subject=f"Follow-up: {sent} (request {request.id}: {request.subject})"[:500],
        customer_id=request.customer_id, queue=config.follow_up.queue, not_before=when, external_ref=f"{REF}{row_id}",
        body=f"Request (item {request.id}): {request.subject}\n{request.body}".strip() + f"\n\nSent: {sent}",
        attributes={"follow_up_of": request.id, "request": request.subject, "message": (request.body or "")[:500],
                    "sent": sent})
    return item.id


def cancel_on_contact(ctx: TenantContext, config: FulfilConfig, contact: WorkItem) -> list[int]:
    """Close the customer's pending follow-ups as ``cancelled`` (no longer needed): ``contact`` (a new item)
    shows they got in touch."""
    if contact.customer_id is None:
        return []
    return cancel_pending(ctx, config, [contact.customer_id], f"item {contact.id}", keep=contact.id)


def cancel_pending(ctx: TenantContext, config: FulfilConfig, customer_ids: list[int], how: str,
                   keep: int | None = None) -> list[int]:
    """Close the open follow-ups of ``customer_ids`` (but ``keep``) as ``cancelled``, the note saying
    ``how`` they got in touch, when the tenant's ``follow_up.cancel_on_contact`` says so; their ids."""
    from ccctl.queue.closing import close_item

    if config.follow_up is None or not config.follow_up.cancel_on_contact or not customer_ids:
        return []
    query = select(WorkItem.id).where(
        WorkItem.tenant_id == ctx.tenant.id, WorkItem.customer_id.in_(customer_ids),
        WorkItem.channel == CHANNEL, WorkItem.state == "open")
    if keep is not None:
        query = query.where(WorkItem.id != keep)
    pending = list(ctx.session.scalars(query.order_by(WorkItem.id)))
    for item_id in pending:
        close_item(ctx, item_id, outcome="cancelled", note=f"no longer needed: the customer got in touch ({how})")
    return pending
