"""The machine's floor for bench/claims.py on PostgreSQL: the same loop with nothing but psycopg.

Each worker works in auto-next mode like ccctl's loop: it claims an item (pick ``FOR UPDATE
SKIP LOCKED``, mark claimed, one history row), then closes it (mark closed, one history row)
and claims the next in one pipeline, one commit. The SQL is written by hand: no SQLAlchemy,
no capacity check, no agent counter, no guard, no hooks. Whatever ccctl does on top costs
more than this, so the rate printed here bounds what any client can reach on this machine.
"""

from __future__ import annotations

import time

CLAIM = """
WITH pick AS (
  SELECT id FROM work_items
  WHERE state = 'open' AND tenant_id + 0 = ANY(%(tenants)s) AND skill_set_id = ANY(%(sets)s)
    AND (not_before IS NULL OR not_before <= %(now)s)
  ORDER BY priority DESC, due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE work_items w SET state = 'claimed', claimed_by = %(name)s, claimed_at = %(now)s, updated_at = %(now)s
  FROM pick WHERE w.id = pick.id RETURNING w.id, w.tenant_id, w.customer_id, w.queue, w.channel
), step AS (
  INSERT INTO interactions (tenant_id, customer_id, channel, direction, summary, payload, item_id, occurred_at, actor)
  SELECT tenant_id, customer_id, 'queue', 'internal', 'claimed by ' || %(name)s,
         json_build_object('step', 'claimed', 'queue', queue, 'item_channel', channel), id, %(now)s, %(name)s
  FROM claimed
)
SELECT id FROM claimed
"""
CLOSE = """
WITH closed AS (
  UPDATE work_items SET state = 'closed', outcome = 'done', closed_at = %(now)s, updated_at = %(now)s
  WHERE id = %(id)s RETURNING id, tenant_id, customer_id, queue, channel
), step AS (
  INSERT INTO interactions (tenant_id, customer_id, channel, direction, summary, payload, item_id, occurred_at, actor)
  SELECT tenant_id, customer_id, 'queue', 'internal', 'closed: done',
         json_build_object('step', 'closed', 'queue', queue, 'item_channel', channel, 'outcome', 'done'), id,
         %(now)s, %(name)s
  FROM closed
)
SELECT id FROM closed
"""


def bare_claim_and_close(database_url: str, agent: str, limit: int, start) -> dict:
    """``ccctl.queue.drill.claim_and_close``'s loop with psycopg alone (same result keys)."""
    from datetime import datetime, timezone
    from urllib.parse import parse_qs, urlsplit

    import psycopg

    parts = urlsplit(database_url)
    options = parse_qs(parts.query).get("options", [""])[0]
    conn = psycopg.connect(f"postgresql://{parts.netloc}{parts.path}", options=options, autocommit=True)
    tenants = [row[0] for row in conn.execute("SELECT tenant_id FROM agent_tenants JOIN agents ON agents.id = agent_id "
                                              "WHERE agents.name = %s", (agent,))]
    sets = [row[0] for row in conn.execute("SELECT id FROM skill_sets")]
    start.wait()
    began, cpu_began = time.perf_counter(), time.process_time()
    claimed: list[int] = []
    claim_params = {"tenants": tenants, "sets": sets, "now": datetime.now(timezone.utc), "name": agent}
    closer, claimer = conn.cursor(), conn.cursor()
    claimer.execute(CLAIM, claim_params)
    row = claimer.fetchone()
    while row is not None:
        claimed.append(row[0])
        now = datetime.now(timezone.utc)
        if len(claimed) >= limit:
            closer.execute(CLOSE, {"id": row[0], "now": now, "name": agent})
            break
        with conn.pipeline():
            closer.execute(CLOSE, {"id": row[0], "now": now, "name": agent})
            claimer.execute(CLAIM, {**claim_params, "now": now})
        row = claimer.fetchone()
    conn.close()
    return {"agent": agent, "claimed": claimed, "latencies": [], "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu_began}
