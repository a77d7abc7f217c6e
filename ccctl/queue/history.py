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



def insert_step(db, tenant_id: int, item, step: str, summary: str, *, actor: str | None, now, **details: Any) -> None:
    """One plain INSERT of :func:`record_step`'s event (no savepoint, no ORM object), for steps written
    as single statements; ``item`` needs ``id``, ``customer_id``, ``queue`` and ``channel``."""
    from types import SimpleNamespace

    from ccctl.customers import interaction_values
    from ccctl.db.models import Interaction

    db.execute(Interaction.__table__.insert(), interaction_values(
        SimpleNamespace(id=tenant_id), occurred_at=now, **step_fields(item, step, summary, actor=actor, **details)))


def step_insert(rows, step: str, *, summary, actor, now, **details):
    """``INSERT … SELECT``: one history event per row of ``rows`` (a CTE returning ``id``, ``tenant_id``,
    ``customer_id``, ``queue``, ``channel``), the same event :func:`record_step` stores. For
    PostgreSQL steps taken in one statement (data-modifying CTEs): ``summary``, ``actor`` and
    the ``details`` values are SQL expressions, ``now`` a bind parameter."""
    from sqlalchemy import Text, cast, func, insert, literal_column, select

    from ccctl.db.models import Interaction

    def word(text: str):
        return literal_column(f"'{text}'")  # fixed words: literals, so the payload needs no parameter types

    pairs = [word("step"), word(step), word("queue"), rows.c.queue, word("item_channel"), rows.c.channel]
    for key, value in details.items():
        pairs += [word(key), cast(value, Text)]
    columns = ["tenant_id", "customer_id", "channel", "direction", "summary", "payload", "item_id", "occurred_at",
               "actor"]
    return insert(Interaction).from_select(columns, select(
        rows.c.tenant_id, rows.c.customer_id, word("queue"), word("internal"), summary,
        func.json_build_object(*pairs), rows.c.id, now, actor))
