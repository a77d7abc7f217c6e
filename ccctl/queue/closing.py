"""Closing an item: one statement on PostgreSQL (the item, the holder's counter, the history event)."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, select, text, update

from ccctl.context import TenantContext
from ccctl.db.driver import DriverStatement
from ccctl.db.models import WorkItem, utcnow
from ccctl.errors import CcctlError, InputError
from ccctl.queue.holding import hold

OUTCOME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_OUTCOME = re.compile(OUTCOME)


def close(ctx: TenantContext, item: WorkItem, *, outcome: str, agent: str | None = None, note: str = "") -> WorkItem:
    """:func:`close_item` for an item already loaded; returns it, refreshed."""
    ctx.session.flush()  # the caller's pending changes go first
    close_item(ctx, item.id, outcome=outcome, agent=agent, note=note)
    ctx.session.refresh(item)
    return item


def close_item(ctx: TenantContext, item_id: int, *, outcome: str, agent: str | None = None, note: str = "") -> None:
    """Close with an outcome (resolved, no-answer, spam...) in ``ctx.session``; fires ``ccctl_item_closed``.

    One statement on PostgreSQL (item, holder's counter, history), so a client whose session
    is in autocommit pays one round trip; on SQLite, a read then three writes.
    """
    session = ctx.session
    params = close_params(ctx, item_id, outcome=outcome, agent=agent, note=note, now=utcnow())
    if session.get_bind().dialect.name == "postgresql":
        if PG_CLOSE.first(session.connection(), params) is None:
            refuse(ctx, params)
    else:
        _sqlite_close(ctx, params)
    listeners = ctx.hook("ccctl_item_closed")
    if listeners.get_hookimpls():
        listeners(item=session.get(WorkItem, item_id, populate_existing=True), ctx=ctx)


_ITEM_NOW = (select(WorkItem.id, WorkItem.state, WorkItem.claimed_by, WorkItem.outcome, WorkItem.closed_at,
                    WorkItem.customer_id, WorkItem.queue, WorkItem.channel)
             .where(WorkItem.id == bindparam("item"), WorkItem.tenant_id == bindparam("tenant")))


def close_params(ctx: TenantContext, item_id: int, *, outcome: str, agent: str | None, note: str, now) -> dict:
    if not _OUTCOME.match(outcome):
        raise InputError(f"outcome '{outcome}' must be a short lower-case word like resolved or no-answer")
    # No key named like a column: SQLAlchemy would add it to the UPDATEs' SET clauses.
    return {"item": item_id, "tenant": ctx.tenant.id, "agent": agent, "outcome": outcome, "note": note,
            "now": now, "summary": f"closed: {outcome}" + (f": {note}" if note else "")}


def refuse(ctx: TenantContext, params: dict) -> None:
    """Raise why the close ``params`` describe changed nothing."""
    _refuse(ctx, ctx.session.execute(_ITEM_NOW, params).first(), params["item"], params["agent"])
    raise CcctlError(f"item {params['item']} changed while closing it: try again")


def _refuse(ctx: TenantContext, row, item_id: int, agent: str | None) -> None:
    """Raise why item ``item_id`` (``row``: its :data:`_ITEM_NOW` columns) may not be closed by ``agent``."""
    from ccctl.queue.work import refuse_closed, refuse_other_holder

    if row is None:
        raise CcctlError(f"no item {item_id} for tenant {ctx.tenant.slug}")
    refuse_closed(row)
    refuse_other_holder(row, agent)


def closing_ctes():
    """(closed, step): the CTEs that close item ``item`` of ``tenant`` as ``agent`` and write its history
    event, for statements built on them. ``closed`` returns the item's id, tenant_id, customer_id,
    queue, channel, claimed_by and claimed_at; a refused close returns no row."""
    from sqlalchemy import String, func, literal_column, or_

    from ccctl.db.models import LIVE_STATE
    from ccctl.queue.history import step_insert

    items = WorkItem.__table__
    agent = bindparam("agent", type_=String)
    now = bindparam("now", type_=WorkItem.closed_at.type)
    # A concurrent step on the item is waited for, and these conditions re-checked on the row it left.
    closed = (items.update().where(
                  items.c.id == bindparam("item"), items.c.tenant_id == bindparam("tenant"), text(LIVE_STATE),
                  or_(agent.is_(None), items.c.state != literal_column("'claimed'"), items.c.claimed_by == agent))
              .values(state=literal_column("'closed'"), outcome=bindparam("outcome"), closed_at=now, updated_at=now,
                      claimed_by=func.coalesce(items.c.claimed_by, agent))
              .returning(items.c.id, items.c.tenant_id, items.c.customer_id, items.c.queue, items.c.channel,
                         items.c.claimed_by, items.c.claimed_at)
              .cte("closed"))
    step = step_insert(closed, "closed", summary=bindparam("summary", type_=String),
                       actor=func.coalesce(agent, closed.c.claimed_by), now=now,
                       outcome=bindparam("outcome", type_=String), note=bindparam("note", type_=String))
    return closed, step.cte("closed_step")


def _postgresql_close():
    from sqlalchemy import and_

    from ccctl.db.models import Agent

    agents = Agent.__table__
    closed, step = closing_ctes()
    # claimed_at is set exactly while an open item is claimed (and kept by the close): the holder's
    # counter goes down only when the item was held.
    freed = (agents.update().where(and_(agents.c.name == closed.c.claimed_by, closed.c.claimed_at.is_not(None),
                                        agents.c.holding > 0))
             .values(holding=agents.c.holding - 1, updated_at=agents.c.updated_at).cte("freed"))
    return select(closed.c.id).add_cte(freed, step)


PG_CLOSE = DriverStatement(_postgresql_close())


_SQLITE_CLOSED = (update(WorkItem).where(WorkItem.id == bindparam("item"))
                  .values(state="closed", outcome=bindparam("outcome"), closed_at=bindparam("now"),
                          updated_at=bindparam("now"), claimed_by=bindparam("holder")))


def _sqlite_close(ctx: TenantContext, params: dict) -> None:
    """The same steps as :data:`PG_CLOSE`; the caller's transaction makes them one. Core statements
    on the session's connection: through the ORM session each cost twice as much."""
    from ccctl.queue.history import insert_step

    conn, agent = ctx.session.connection(), params["agent"]
    row = conn.execute(_ITEM_NOW, params).first()
    _refuse(ctx, row, params["item"], agent)
    holder = row.claimed_by or agent
    conn.execute(_SQLITE_CLOSED, {"item": params["item"], "outcome": params["outcome"], "now": params["now"],
                                  "holder": holder})
    if row.state == "claimed":
        hold(conn, row.claimed_by, -1)
    insert_step(conn, ctx.tenant.id, row, "closed", params["summary"], actor=agent or holder, now=params["now"],
                outcome=params["outcome"], note=params["note"])
