"""A claim-and-close loop run by many processes at once (concurrency tests and bench/claims.py)."""

from __future__ import annotations

import time

# Claims between two reads of the agent's tenants and skill sets (availability and capacity
# are re-read under lock at every claim anyway).
REFRESH = 50


def claim_and_close(database_url: str, agent: str, limit: int | None = None, start=None) -> dict:
    """Claim then close items as ``agent`` until none is left (or ``limit``): ids, claim latencies and
    the seconds spent; with ``start`` (an Event) the loop waits for it once connected and warm."""
    from ccctl.context import App
    from ccctl.db.models import Tenant
    from ccctl.plugins import get_plugin_manager
    from ccctl.queue.claims import claim_next, claimer
    from ccctl.queue.txn import immediate_session
    from ccctl.queue.work import close, lock_item

    app = App(get_plugin_manager(), database_url)
    claimed: list[int] = []
    latencies: list[float] = []
    with app.engine.connect():
        pass  # connect and migrate-check before the clock starts
    if start is not None:
        start.wait()
    began, cpu_began = time.perf_counter(), time.process_time()
    tenants: dict[int, Tenant] = {}  # read once: only their id and config are used
    writer = app.engine.connect()  # kept, like a long-running client would (no checkout per claim)
    who = None
    try:
        while limit is None or len(claimed) < limit:
            started = time.perf_counter()
            if who is None or len(claimed) % REFRESH == 0:
                with app.session() as session:  # a plain read: the write lock is not held meanwhile
                    who = claimer(session, agent)
            with immediate_session(writer) as session:
                claim = claim_next(session, who)
                if claim.item is None:
                    break
                item_id, tenant_id = claim.item.id, claim.item.tenant_id
            latencies.append(time.perf_counter() - started)
            with immediate_session(writer) as session:
                if tenant_id not in tenants:
                    tenants[tenant_id] = session.get(Tenant, tenant_id)
                ctx = app.context(session, tenants[tenant_id])
                close(ctx, lock_item(ctx, item_id), outcome="done", agent=agent)
            claimed.append(item_id)
    finally:
        writer.close()
        app.engine.dispose()
    return {"agent": agent, "claimed": claimed, "latencies": latencies, "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu_began}
