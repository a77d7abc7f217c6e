"""A claim-and-close loop run by many processes at once (concurrency tests and bench/claims.py)."""

from __future__ import annotations

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
    from ccctl.queue.txn import immediate_session, step_connection
    from ccctl.queue.closing import close_item

    app = App(get_plugin_manager(), database_url)
    claimed: list[int] = []
    latencies: list[float] = []
    with app.engine.connect():
        pass  # connect and migrate-check before the clock starts
    if start is not None:
        start.wait()
    began, cpu_began = time.perf_counter(), time.process_time()
    contexts: dict[int, tuple] = {}  # per tenant, read once: (context for closes, a plugin listens)
    writer = app.engine.connect()  # kept, like a long-running client would (no checkout per step)
    closer = Session(writer, expire_on_commit=False)  # for closes: autocommit on PostgreSQL, like claims
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
            if claim.tenant_id not in contexts:
                tenant = closer.get(Tenant, claim.tenant_id)
                closer.commit()
                ctx = app.context(closer, tenant)
                contexts[claim.tenant_id] = ctx, bool(ctx.hook("ccctl_item_closed").get_hookimpls())
            ctx, listened = contexts[claim.tenant_id]
            if listened:  # the listener's writes commit with the close
                with immediate_session(app.engine) as session:
                    close_item(app.context(session, ctx.tenant), claim.item_id, outcome="done", agent=agent)
            else:
                with step_connection(writer):
                    close_item(ctx, claim.item_id, outcome="done", agent=agent)
                closer.commit()
            claimed.append(claim.item_id)
    finally:
        closer.close()
        writer.close()
        app.engine.dispose()
    return {"agent": agent, "claimed": claimed, "latencies": latencies, "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu_began}
