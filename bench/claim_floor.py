"""The machine's floor for bench/claims.py on PostgreSQL: the same loop with nothing but psycopg.

Each worker works in auto-next mode like ccctl's loop: it claims an item (pick ``FOR UPDATE
SKIP LOCKED``, mark claimed, one history row), then closes it (mark closed, one history row)
and claims the next in one statement, one commit, as ccctl does. The SQL is written by hand:
no SQLAlchemy, no capacity check, no agent counter, no guard, no hooks. Whatever ccctl does on top costs
more than this, so the rate printed here bounds what any client can reach on this machine.
"""

from __future__ import annotations

import time

_CLAIMED = """
pick AS (
  SELECT id FROM work_items
  WHERE state = 'open' AND tenant_id + 0 = ANY(%(tenants)s) AND skill_set_id = ANY(%(sets)s)
    AND (not_before IS NULL OR not_before <= %(now)s) {after_close}
  ORDER BY priority DESC, due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE work_items w SET state = 'claimed', claimed_by = %(name)s, claimed_at = %(now)s, updated_at = %(now)s
  FROM pick WHERE w.id = pick.id RETURNING w.id, w.tenant_id, w.customer_id, w.queue, w.channel
), step AS (
  INSERT INTO interactions (tenant_id, customer_id, channel, direction, summary, payload, item_id, occurred_at, actor)
  SELECT tenant_id, customer_id, 'queue', 'internal', 'claimed by ' || %(name)s,
         json_build_object('step', 'claimed', 'queue', queue, 'item_channel', channel), id, %(now)s, %(name)s
  FROM claimed
)"""
_CLOSED = """
closed AS (
  UPDATE work_items SET state = 'closed', outcome = 'done', closed_at = %(now)s, updated_at = %(now)s
  WHERE id = %(id)s RETURNING id, tenant_id, customer_id, queue, channel
), closed_step AS (
  INSERT INTO interactions (tenant_id, customer_id, channel, direction, summary, payload, item_id, occurred_at, actor)
  SELECT tenant_id, customer_id, 'queue', 'internal', 'closed: done',
         json_build_object('step', 'closed', 'queue', queue, 'item_channel', channel, 'outcome', 'done'), id,
         %(now)s, %(name)s
  FROM closed
)"""
CLAIM = f"WITH {_CLAIMED.format(after_close='')}\nSELECT id FROM claimed"
CLOSE = f"WITH {_CLOSED}\nSELECT id FROM closed"
# The close, then the claim of the next item once the close happened.
CLOSE_AND_CLAIM = (f"WITH {_CLOSED},{_CLAIMED.format(after_close='AND EXISTS (SELECT FROM closed)')}\n"
                   "SELECT id FROM claimed")


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
    cursor = conn.cursor()
    cursor.execute(CLAIM, claim_params)
    row = cursor.fetchone()
    while row is not None:
        claimed.append(row[0])
        now = datetime.now(timezone.utc)
        if len(claimed) >= limit:
            cursor.execute(CLOSE, {"id": row[0], "now": now, "name": agent})
            break
        cursor.execute(CLOSE_AND_CLAIM, {**claim_params, "now": now, "id": row[0]})
        row = cursor.fetchone()
    conn.close()
    return {"agent": agent, "claimed": claimed, "latencies": [], "seconds": time.perf_counter() - began,
            "cpu_seconds": time.process_time() - cpu_began}
