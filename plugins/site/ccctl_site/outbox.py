"""Outbound events are written to the outbox in the transaction of the change that caused them
(hooks run inside it), one row per subscribed URL; ``ccctl webhooks deliver`` sends them later."""

from __future__ import annotations

import uuid
from typing import Any

from ccctl.context import TenantContext
from ccctl.db.models import utcnow


def enqueue(ctx: TenantContext, event_type: str, data: dict[str, Any]) -> list[str]:
    """Queue ``event_type`` for every webhook of the tenant that wants it; the event ids (one per URL)."""
    if not ctx.tenant.plugin_config("site").get("webhooks"):
        return []  # the usual case costs one dict lookup
    from ccctl_site.config import site_config
    from ccctl_site.models import WebhookEvent

    now = utcnow()
    rows = []
    for hook in site_config(ctx.tenant).webhooks:
        if event_type not in hook.events:
            continue
        event_id = str(uuid.uuid4())
        rows.append(dict(
            tenant_id=ctx.tenant.id, customer_id=data.get("customer"), event_id=event_id, webhook=hook.name,
            event_type=event_type, next_attempt_at=now, created_at=now,
            payload={"id": event_id, "type": event_type, "tenant": ctx.tenant.slug,
                     "created_at": now.isoformat().replace("+00:00", "Z"), "data": data}))
    if rows:  # a Core INSERT: no ORM object, no id read back (an ORM flush costs one RETURNING per row)
        ctx.session.execute(WebhookEvent.__table__.insert(), rows)
    ids = [row["event_id"] for row in rows]
    return ids


def item_data(item) -> dict[str, Any]:
    """What receivers get about an item (JSON-ready)."""
    def when(value):
        return value.isoformat().replace("+00:00", "Z") if value is not None else None

    return {"item": item.id, "channel": item.channel, "queue": item.queue, "state": item.state,
            "priority": item.priority, "subject": item.subject, "customer": item.customer_id,
            "external_ref": item.external_ref, "attributes": dict(item.attributes or {}),
            "claimed_by": item.claimed_by, "outcome": item.outcome, "created_at": when(item.created_at),
            "closed_at": when(item.closed_at)}
