"""Data-protection hooks: export, erase and merge the call-back rows of a customer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from ccctl.context import TenantContext
from ccctl_callback.models import CallbackAttempt, CallbackRequest


def _requests(ctx: TenantContext, customer_id: int) -> list[CallbackRequest]:
    return list(ctx.session.scalars(select(CallbackRequest).where(
        CallbackRequest.tenant_id == ctx.tenant.id, CallbackRequest.customer_id == customer_id)
        .order_by(CallbackRequest.id)))


def export(customer, ctx: TenantContext) -> dict[str, Any] | None:
    from ccctl_callback.outcomes import attempt_row, attempts_of

    requests = _requests(ctx, customer.id)
    if not requests:
        return None
    return {"callback_requests": [
        {"id": r.id, "item": r.item_id, "phone": r.phone, "name": r.name, "reason": r.reason,
         "context": r.context, "referral_code": r.referral_code, "source": r.source,
         "slot": r.slot_start.isoformat() if r.slot_start else None, "consent": r.consent,
         "consent_at": r.consent_at.isoformat() if r.consent_at else None, "state": r.state,
         "created_at": r.created_at.isoformat(),
         "attempts": [{**attempt_row(a), "started": a.started_at.isoformat()} for a in attempts_of(ctx, r)]}
        for r in requests]}


def erase(customer, ctx: TenantContext) -> None:
    """Delete the customer's requests and attempts; seats they held free up, and nobody calls them back."""
    from ccctl.db.models import WorkItem
    from ccctl.queue.closing import close
    from ccctl_callback.slots import release_seat

    requests = _requests(ctx, customer.id)
    for request in requests:
        if request.holds_seat and request.slot_start is not None:
            release_seat(ctx.session, ctx.tenant, request.slot_start)
        item = ctx.session.get(WorkItem, request.item_id) if request.item_id else None
        if item is not None and item.tenant_id == ctx.tenant.id and item.state != "closed":
            close(ctx, item, outcome="cancelled", note="customer erased")
    ids = [r.id for r in requests]
    if ids:
        ctx.session.execute(delete(CallbackAttempt).where(
            CallbackAttempt.tenant_id == ctx.tenant.id, CallbackAttempt.request_id.in_(ids)))
        ctx.session.execute(delete(CallbackRequest).where(
            CallbackRequest.tenant_id == ctx.tenant.id, CallbackRequest.id.in_(ids)))


def merged(source, target, ctx: TenantContext) -> dict[str, list[int]]:
    from ccctl.identity.merging import move_rows

    return move_rows(ctx.session, ctx.tenant, (CallbackRequest,), source.id, target.id)


def unmerged(source, target, moved, ctx: TenantContext) -> None:
    from ccctl.identity.merging import move_rows_back

    move_rows_back(ctx.session, (CallbackRequest,), moved, source.id, target.id)
