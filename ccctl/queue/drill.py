"""A claim-and-close loop run by many processes at once (concurrency tests and bench/claims.py)."""

from __future__ import annotations

import time

# Claims between two reads of the agent's tenants and skill sets (availability and capacity
# are checked by every claim anyway).
REFRESH = 50


def claim_and_close(database_url: str, agent: str, limit: int | None = None, start=None) -> dict:
    """Claim then close items as ``agent`` until none is left (or ``limit``): ids, step latencies and
    the seconds spent; with ``start`` (an Event) the loop waits for it once connected and warm.

    Works like a long-running agent client in auto-next mode: one connection kept for its
    steps, tenants read once, each close followed by the next claim in one step
    (:func:`ccctl.queue.autonext.close_and_claim_next`).
    """
    from sqlalchemy.orm import Session

    from ccctl.context import App
    from ccctl.db.models import Tenant
    from ccctl.plugins import get_plugin_manager
    from ccctl.queue.autonext import close_and_claim_next, close_on
    from ccctl.queue.claims import claim_next, claimer

    app = App(get_plugin_manager(), database_url)
    claimed: list[int] = []
    latencies: list[float] = []
    with app.engine.connect():
        pass  # connect and migrate-check before the clock starts
    if start is not None:
        start.wait()
    began, cpu_began = time.perf_counter(), time.process_time()
    contexts: dict = {}  # per tenant, read once: only its id and config are used
    writer = app.engine.connect()  # kept, like a long-running client would (no checkout per step)
    explainer = Session(writer, expire_on_commit=False)  # for the contexts: explains a refused close
    try:
        who = claimer(writer, agent)
        writer.commit()
        started = time.perf_counter()
        claim = claim_next(writer, who)
        while claim.item_id is not None:
            latencies.append(time.perf_counter() - started)
            claimed.append(claim.item_id)
            if claim.tenant_id not in contexts:
                contexts[claim.tenant_id] = app.context(explainer, explainer.get(Tenant, claim.tenant_id))
                explainer.commit()
            ctx = contexts[claim.tenant_id]
            started = time.perf_counter()
            if limit is not None and len(claimed) >= limit:
                close_on(app, writer, ctx.tenant, claim.item_id, agent=agent, outcome="done")
                break
            if len(claimed) % REFRESH == 0:
                who = claimer(writer, agent)
                writer.commit()
            claim = close_and_claim_next(ctx, writer, claim.item_id, who, outcome="done")
    finally:
        explainer.close()
        writer.close()
        app.engine.dispose()
    return {"agent": agent, "claimed": claimed, "latencies": latencies, "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu_began}
