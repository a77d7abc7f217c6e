"""The fulfil plugin's retention kind: documents sent, with the e-mail or postal address they went to."""

from __future__ import annotations

from datetime import datetime, timedelta

from ccctl.context import TenantContext
from ccctl.retention import count_or_delete

KINDS = {"fulfilment": "brochure requests (with the address each went to) older than this"}


def apply(ctx: TenantContext, policy: dict[str, timedelta], now: datetime, dry_run: bool) -> dict[str, int]:
    from ccctl_fulfil.models import BATCHED, FulfilRequest

    if "fulfilment" not in policy:
        return {}
    cutoff = now - policy["fulfilment"]  # one still waiting for the print house is kept
    return {"fulfilment": count_or_delete(ctx.session, FulfilRequest, (
        FulfilRequest.tenant_id == ctx.tenant.id, FulfilRequest.created_at < cutoff,
        FulfilRequest.state != BATCHED), dry_run)}
