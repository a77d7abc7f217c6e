"""Every queue step lands in the customer's history (channel "queue", direction "internal")."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ccctl.customers import record_interaction
from ccctl.db.models import Tenant, WorkItem


def record_step(session: Session, tenant: Tenant, item: WorkItem, step: str, summary: str, *,
                actor: str | None = None, once_key: str | None = None, **details: Any) -> None:
    """Add one history event for ``item``; ``once_key`` makes a repeated step (cron re-run) a no-op."""
    record_interaction(session, tenant, **step_fields(item, step, summary, actor=actor, once_key=once_key,
                                                      **details))


def step_fields(item: WorkItem, step: str, summary: str, *, actor: str | None = None,
                once_key: str | None = None, **details: Any) -> dict[str, Any]:
    """The ``record_interaction`` arguments of one step (also fed in bulk to ``record_interactions``)."""
    return dict(
        channel="queue", customer_id=item.customer_id, direction="internal", summary=summary,
        payload={"step": step, "queue": item.queue, "item_channel": item.channel, **details},
        item_id=item.id, actor=actor,
        external_id=f"item:{item.id}:{once_key}" if once_key else None,
    )
