"""Export, erase and merge of the fulfil plugin's rows (they hold e-mail and postal addresses)."""

from __future__ import annotations

from sqlalchemy import delete, select

from ccctl.context import TenantContext
from ccctl_fulfil.models import FulfilRequest


def export(ctx: TenantContext, customer) -> dict | None:
    rows = ctx.session.scalars(select(FulfilRequest).where(
        FulfilRequest.tenant_id == ctx.tenant.id, FulfilRequest.customer_id == customer.id))
    found = [{"document": r.document, "language": r.language, "method": r.method, "state": r.state,
              "recipient": r.recipient, "created_at": r.created_at.isoformat()} for r in rows]
    return {"fulfil_requests": found} if found else None


def erase(ctx: TenantContext, customer) -> None:
    ctx.session.execute(delete(FulfilRequest).where(
        FulfilRequest.tenant_id == ctx.tenant.id, FulfilRequest.customer_id == customer.id))


def merged(ctx: TenantContext, source, target) -> dict[str, list[int]]:
    """The rows go to the target; what moved is returned (the hook's answer) so an unmerge puts it back."""
    from ccctl.identity.merging import move_rows

    return move_rows(ctx.session, ctx.tenant, (FulfilRequest,), source.id, target.id)


def unmerged(ctx: TenantContext, source, target, moved) -> None:
    from ccctl.identity.merging import move_rows_back

    move_rows_back(ctx.session, (FulfilRequest,), moved, source.id, target.id)
