"""A claim-and-close loop run by many processes at once (concurrency tests and bench/claims.py)."""

from __future__ import annotations

import contextlib
import time

# Claims between two reads of the agent's tenants and skill sets (availability and capacity
# are checked by every claim anyway).
REFRESH = 50


def claim_and_close(database_url: str, agent: str, limit: int | None = None, start=None) -> dict:
    """Claim then close items as ``agent`` until none is left (or ``limit``): ids, claim latencies and
    the seconds spent; with ``start`` (an Event) the loop waits for it once connected and warm.

    Works like a long-running agent client: one connection kept for its steps (claims and
    closes are single statements, in autocommit on PostgreSQL), tenants read once. A close
    runs in a transaction instead when a plugin listens to ``ccctl_item_closed`` for that
    tenant, so the listener's writes commit with it.
    """
    from sqlalchemy.orm import Session

    from ccctl.context import App
    from ccctl.db.models import Tenant
    from ccctl.plugins import get_plugin_manager
    from ccctl.queue.claims import claim_next, claimer
    from ccctl.queue.txn import immediate_session
    from ccctl.queue.closing import close_item

    app = App(get_plugin_manager(), database_url)
    claimed: list[int] = []
    latencies: list[float] = []
    with app.engine.connect():
        pass  # connect and migrate-check before the clock starts
    if start is not None:
        start.wait()
    began, cpu_began = time.perf_counter(), time.process_time()
    tenants: dict[int, tuple[Tenant, bool]] = {}  # read once: only their id and config are used
    writer = app.engine.connect()  # kept, like a long-running client would (no checkout per step)
    who = None
    try:
        while limit is None or len(claimed) < limit:
            started = time.perf_counter()
            if who is None or len(claimed) % REFRESH == 0:
                with Session(writer) as session:
                    who = claimer(session, agent)
                writer.commit()
            claim = claim_next(writer, who)
            if claim.item_id is None:
                break
            latencies.append(time.perf_counter() - started)
            if claim.tenant_id not in tenants:
                with Session(writer) as session:
                    tenant = session.get(Tenant, claim.tenant_id)
                    session.expunge(tenant)
                writer.commit()
                listened = app.hook(tenant, "ccctl_item_closed").get_hookimpls()
                tenants[claim.tenant_id] = tenant, bool(listened)
            tenant, listened = tenants[claim.tenant_id]
            with (immediate_session(app.engine) if listened else _step_session(writer)) as session:
                close_item(app.context(session, tenant), claim.item_id, outcome="done", agent=agent)
            claimed.append(claim.item_id)
    finally:
        writer.close()
        app.engine.dispose()
    return {"agent": agent, "claimed": claimed, "latencies": latencies, "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu_began}


@contextlib.contextmanager
def _step_session(conn):
    """A session on ``conn`` for one single-statement step, committed at the end."""
    from sqlalchemy.orm import Session

    from ccctl.queue.txn import step_connection

    with step_connection(conn) as bound, Session(bound) as session:
        yield session
