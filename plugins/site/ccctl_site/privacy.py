"""Export, erase and merge of the outbound events about a customer (their payloads describe the
person's items). Site events themselves are history events: core exports and erases those."""

from __future__ import annotations

from sqlalchemy import delete, select

from ccctl.context import TenantContext
from ccctl_site.models import WebhookEvent


def export(ctx: TenantContext, customer) -> dict | None:
    rows = ctx.session.scalars(select(WebhookEvent).where(
        WebhookEvent.tenant_id == ctx.tenant.id, WebhookEvent.customer_id == customer.id).order_by(WebhookEvent.id))
    found = [{"event_id": r.event_id, "type": r.event_type, "webhook": r.webhook, "state": r.state,
              "created_at": r.created_at.isoformat(), "payload": r.payload} for r in rows]
    return {"webhook_events": found} if found else None


def erase(ctx: TenantContext, customer) -> None:
    """Undelivered events go too: erasure wins over a CRM's copy (the client erases its own)."""
    ctx.session.execute(delete(WebhookEvent).where(
        WebhookEvent.tenant_id == ctx.tenant.id, WebhookEvent.customer_id == customer.id))


def merged(ctx: TenantContext, source, target) -> dict[str, list[int]]:
    """The rows go to the target; what moved is returned (the hook's answer) so an unmerge puts it back."""
    from ccctl.identity.merging import move_rows

    return move_rows(ctx.session, ctx.tenant, (WebhookEvent,), source.id, target.id)


def unmerged(ctx: TenantContext, source, target, moved) -> None:
    from ccctl.identity.merging import move_rows_back

    move_rows_back(ctx.session, (WebhookEvent,), moved, source.id, target.id)
