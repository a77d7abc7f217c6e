"""The site plugin's retention kind: outbound webhook events (and their delivery log)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ccctl.context import TenantContext
from ccctl.retention import count_or_delete

KINDS = {"webhook_events": "outbound webhook events and their delivery log older than this"}


def apply(ctx: TenantContext, policy: dict[str, timedelta], now: datetime, dry_run: bool) -> dict[str, int]:
    from ccctl_site.models import WebhookEvent

    if "webhook_events" not in policy:
        return {}
    cutoff = now - policy["webhook_events"]  # the delivery log goes with its event (ON DELETE CASCADE)
    return {"webhook_events": count_or_delete(ctx.session, WebhookEvent, (
        WebhookEvent.tenant_id == ctx.tenant.id, WebhookEvent.created_at < cutoff), dry_run)}
