"""The screen pop an agent sees before calling back: request, web context, attempts, whole history."""

from __future__ import annotations

from typing import Any

from ccctl.context import TenantContext


def screen_pop(ctx: TenantContext, item_id: int, limit: int | None = 20) -> dict[str, Any]:
    from ccctl.clock import shown
    from ccctl.customer_context import customer_context
    from ccctl.customers import get_customer, interaction_row, timeline
    from ccctl.queue.items import get_item
    from ccctl_callback.outcomes import attempt_row, attempts_of
    from ccctl_callback.requests import describe_when, request_for_item

    request = request_for_item(ctx, item_id)
    item = get_item(ctx, item_id)
    record: dict[str, Any] = {
        "item": item.id, "queue": item.queue, "item_state": item.state, "priority": item.priority,
        "request": request.id, "state": request.state, "when": describe_when(ctx.tenant, request),
        "not_before": item.not_before, "name": request.name, "phone": request.phone, "reason": request.reason,
        "referral_code": request.referral_code, "source": request.source,
        "consent": f"asked by the person on {shown(request.consent_at, ctx.tenant.timezone)}" if request.consent
        else "no",
        "context": request.context,
    }
    customer = get_customer(ctx.session, ctx.tenant, request.customer_id) if request.customer_id else None
    record["customer"] = customer.id if customer else None
    record["customer_name"] = customer.name if customer else ""
    record["attempts"] = [attempt_row(a) for a in attempts_of(ctx, request)]
    record["customer_context"] = customer_context(ctx, customer)  # what the site told us, newest first
    record["timeline"] = [interaction_row(i) for i in timeline(ctx.session, ctx.tenant, customer, limit)] \
        if customer else []
    return record
