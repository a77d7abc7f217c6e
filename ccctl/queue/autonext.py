"""Close an item and claim the agent's next one: an agent working in auto-next mode ("wrap up, next").

On PostgreSQL, when no plugin listens to ``ccctl_item_closed`` for the tenant, the close and
the claim are one statement (data-modifying CTEs) in autocommit: one round trip, one commit
for both. Measured against the two as separate statements in one pipeline: half the client
CPU, and the same server CPU. The claim is guarded by the close: it takes nothing unless
the item was closed by this very statement, so a refused close never comes with a new
item. On SQLite the close and the claim run in one ``BEGIN IMMEDIATE`` transaction: the
write lock is taken once. With a listener (its writes must commit with the close), the
close runs in its own transaction with the listeners, then the claim.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import Connection
from ccctl.context import App, TenantContext
from ccctl.db.driver import DriverStatement
from ccctl.db.models import Tenant, utcnow
from ccctl.errors import CcctlError
from ccctl.queue.claims import (Claim, Claimer, announce_in, assignment_listened, claim_after_close, claim_next,
                                claim_params, sqlite_claim)
from ccctl.queue.closing import close_item, close_params, closing_ctes, refuse
from ccctl.queue.txn import autocommit, immediate_session, step_connection, write_transaction


def _postgresql_close_and_claim(in_queues: bool) -> DriverStatement:
    closed, step = closing_ctes()
    return DriverStatement(claim_after_close(closed, in_queues, step))


_PG_CLOSE_AND_CLAIM = {flag: _postgresql_close_and_claim(flag) for flag in (False, True)}


def close_and_claim_next(ctx: TenantContext, conn: Connection, item_id: int, who: Claimer, *, outcome: str,
                         note: str = "", queues: list[str] | None = None) -> Claim:
    """Close ``item_id`` of ``ctx.tenant`` as agent ``who`` (see :func:`close_item`), then claim ``who``'s
    next item; both commit. ``conn``: a connection kept for the agent's steps, outside any
    transaction; ``ctx.session`` is bound to ``conn``."""
    listened = ctx.hook("ccctl_item_closed").get_hookimpls()
    announce = assignment_listened(ctx.app, who)  # then the claim's transaction is theirs too
    if conn.dialect.name == "postgresql" and not listened:
        now = utcnow()
        closing = close_params(ctx, item_id, outcome=outcome, agent=who.name, note=note, now=now)
        with write_transaction(conn) if announce else contextlib.nullcontext(autocommit(conn)):
            closed, claimed, tenant_id = _PG_CLOSE_AND_CLAIM[bool(queues)].first(
                conn, {**closing, **claim_params(who, queues, now)})
            if claimed is not None and announce:
                announce_in(ctx.app, conn, claimed, tenant_id, who.name)
        if closed is None:
            try:
                refuse(ctx, closing)
            finally:
                ctx.session.rollback()
        if claimed is not None:
            return Claim(claimed, tenant_id)
    elif listened:
        close_on(ctx.app, conn, ctx.tenant, item_id, agent=who.name, outcome=outcome, note=note)
    else:  # SQLite: the close and the claim under one write lock, in the caller's session
        try:
            with step_connection(conn):
                close_item(ctx, item_id, outcome=outcome, agent=who.name, note=note)
                claimed = sqlite_claim(conn, claim_params(who, queues, utcnow()), bool(queues))
                if claimed is not None and announce:
                    ctx.session.flush()
                    announce_in(ctx.app, conn, *claimed, who.name)
        finally:
            ctx.session.commit()
        if claimed is not None:
            return Claim(*claimed)
    try:
        return claim_next(conn, who, queues=queues, app=ctx.app)  # also says why nothing was taken
    except CcctlError as exc:  # e.g. the agent went unavailable: the close stands, nothing is taken
        return Claim(None, reason=exc.format_message())


def close_on(app: App, conn: Connection, tenant: Tenant, item_id: int, *, agent: str | None, outcome: str,
             note: str = "") -> None:
    """:func:`close_item` in a transaction of its own on ``conn`` (listeners' writes commit with it)."""
    if conn.dialect.name == "postgresql" and conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        conn.execution_options(isolation_level=conn.default_isolation_level)
    with immediate_session(conn) as session:
        close_item(app.context(session, tenant), item_id, outcome=outcome, agent=agent, note=note)
