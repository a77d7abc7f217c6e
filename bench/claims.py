"""Claims under load: N worker processes claim and close items from one big queue.

For each database: fills a queue of --items open items (bulk insert), starts --workers
processes (one agent each, capacity 1) that loop `queue next` + `item close` through the real
code (ccctl.queue.drill) until --claims items are done, then prints claims/s and the number
of double assignments (items claimed twice, from the history and from what workers saw).
Workers work in auto-next mode (`item close --next`: the close and the next claim in one
step). On PostgreSQL the bench then runs the same loop in bare psycopg with hand-written
minimal SQL (bench/claim_floor.py: no SQLAlchemy, no capacity check) on the items left: the
machine's floor, since the workers, their Python and the server share the CPUs here.
Then tops the queue up to --latency-items open items and times single claims in-process
(what `ccctl queue next` does after start-up): median and p95.

Targets: 0 double assignments; >= 500 claims/s on SQLite and >= 2,000 claims/s on
PostgreSQL with 8 workers; a claim <= 5 ms with 1,000,000 open items.

SQLite runs in a temporary file; PostgreSQL in a throwaway schema that is dropped afterwards.

Usage:
  python bench/claims.py                                  # both databases, full size
  python bench/claims.py --items 10000 --claims 4000 --latency-items 50000   # a quick run
  python bench/claims.py --only sqlite
  python bench/claims.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

TARGETS = {"sqlite": 500, "postgresql": 2000}
LATENCY_TARGET_MS = 5.0
BATCH = 20_000
QUEUES = [("bookings", ["booking", "fr"], 10), ("claims", ["claims", "fr"], 5), ("web", [], 0)]
CONFIG = {
    "tenant": "bench", "name": "Bench", "timezone": "Europe/Paris",
    "business_hours": {"mon-fri": ["09:00-18:00"]}, "holidays": "FR",
    "queues": [{"name": n, "skills": s, "priority": p, "sla": "4h"} for n, s, p in QUEUES],
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(url: str, workers: int):
    """Migrated database with the bench tenant and one agent per worker; returns (app, tenant_id)."""
    from ccctl.config.model import TenantConfig
    from ccctl.context import App
    from ccctl.db.models import Tenant
    from ccctl.plugins import get_plugin_manager
    from ccctl.queue.agents import add_agent

    app = App(get_plugin_manager(), url)
    with app.session() as session:
        tenant = Tenant(slug="bench", name="Bench", config=TenantConfig.model_validate(CONFIG).model_dump(mode="json"))
        session.add(tenant)
        session.flush()
        for n in range(workers):
            add_agent(session, f"w{n}", skills=["booking", "claims", "fr"], serves=["bench"], capacity=1)
        add_agent(session, "solo", skills=["booking", "claims", "fr"], serves=["bench"], capacity=10_000_000)
        session.commit()
        return app, tenant.id


def fill(app, tenant_id: int, count: int, seed: int) -> None:
    """Bulk-insert ``count`` open items (as create_item would store them, minus the history row)."""
    import click
    from sqlalchemy import insert

    from ccctl.db.models import WorkItem, utcnow
    from ccctl.queue.skills import skill_set_id

    rng = random.Random(seed)
    now = utcnow()
    with app.session() as session:
        sets = {name: skill_set_id(session, skills) for name, skills, _ in QUEUES}
        session.commit()
    with click.progressbar(length=count, label=f"filling {count:,} items", file=sys.stderr) as bar:
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            rows = []
            for _ in range(size):
                name, skills, priority = QUEUES[rng.randrange(len(QUEUES))]
                rows.append({
                    "tenant_id": tenant_id, "channel": "email", "queue": name, "subject": "bench item",
                    "body": "", "priority": priority + rng.randrange(5), "skills": skills,
                    "skill_set_id": sets[name], "state": "open",
                    "due_at": now + timedelta(minutes=rng.randrange(1, 5000)), "attributes": {},
                    "created_at": now, "updated_at": now, "escalation_level": 0,
                })
            with app.engine.begin() as conn:
                conn.execute(insert(WorkItem), rows)
            done += size
            bar.update(size)
    with app.engine.begin() as conn:  # fresh statistics, as autovacuum / a nightly ANALYZE would give
        conn.exec_driver_sql("ANALYZE")


def throughput(url: str, workers: int, claims: int, loop=None) -> tuple[float, int, int, float]:
    """(claims per second, double assignments, items claimed, client CPU ms per claim+close) of
    ``loop`` (default: ccctl's own, ``ccctl.queue.drill.claim_and_close``) run by each worker."""
    from ccctl.queue.drill import claim_and_close

    ctx = multiprocessing.get_context("spawn")
    start = ctx.Manager().Event()
    per_worker = -(-claims // workers)
    with ctx.Pool(workers) as pool:
        pending = pool.starmap_async(loop or claim_and_close,
                                     [(url, f"w{n}", per_worker, start) for n in range(workers)])
        time.sleep(3)  # let every worker import, connect and wait at the start line
        began = time.perf_counter()
        start.set()
        results = pending.get()
        wall = time.perf_counter() - began
    seen = Counter(i for r in results for i in r["claimed"])
    doubles = sum(1 for c in seen.values() if c > 1)
    cpu_ms = 1000 * sum(r["cpu_seconds"] for r in results) / max(1, sum(seen.values()))
    return sum(seen.values()) / wall, doubles, sum(seen.values()), cpu_ms


def doubles_in_history(app) -> int:
    from sqlalchemy import func, select

    from ccctl.db.models import Interaction

    with app.session() as session:
        per_item = (select(Interaction.item_id).where(
            Interaction.channel == "queue", Interaction.payload["step"].as_string() == "claimed")
            .group_by(Interaction.item_id).having(func.count() > 1).subquery())
        return session.scalar(select(func.count()).select_from(per_item))


def open_count(app, tenant_id: int) -> int:
    from sqlalchemy import func, select

    from ccctl.db.models import WorkItem

    with app.session() as session:
        return session.scalar(select(func.count()).select_from(WorkItem).where(
            WorkItem.tenant_id == tenant_id, WorkItem.state == "open"))


def latency(app, samples: int) -> tuple[float, float, float]:
    """Median and p95 in ms of one claim transaction (in-process, warm), and its mean CPU ms."""
    from ccctl.queue.claims import claim_next

    times, cpu = [], 0.0
    for n in range(samples + 20):
        cpu_started = time.process_time()
        started = time.perf_counter()
        claim = claim_next(app.engine, "solo")  # as `queue next` does: the agent read, then the claim
        if claim.item_id is None:
            sys.exit(f"latency run: nothing to claim ({claim.reason})")
        if n >= 20:  # the first ones warm connections and caches
            times.append((time.perf_counter() - started) * 1000)
            cpu += (time.process_time() - cpu_started) * 1000
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], cpu / samples


def run(kind: str, url: str, args) -> list[str]:
    log(f"== {kind}")
    app, tenant_id = prepare(url, args.workers)
    fill(app, tenant_id, args.items, seed=1)
    load = os.getloadavg()[0]
    rate, doubles, claimed, cpu_ms = throughput(url, args.workers, args.claims)
    history_doubles = doubles_in_history(app)
    lines = [f"{kind}: {claimed:,} claims+closes by {args.workers} workers from {args.items:,} items: "
             f"{rate:,.0f} claims/s (target >= {TARGETS[kind]:,}: {'met' if rate >= TARGETS[kind] else 'MISSED'}); "
             f"double assignments: {doubles} seen by workers, {history_doubles} in history; "
             f"client CPU {cpu_ms:.1f} ms per claim+close; load average {load:.1f} on {os.cpu_count()} CPUs"]
    log(lines[-1])
    if kind == "postgresql" and not args.no_floor:
        from claim_floor import bare_claim_and_close

        floor, _doubles, done, floor_cpu = throughput(url, args.workers, args.claims, bare_claim_and_close)
        lines.append(f"{kind}: the machine's floor, the same loop in bare psycopg with no capacity check "
                     f"(bench/claim_floor.py): {floor:,.0f} claims/s, client CPU {floor_cpu:.1f} ms; "
                     f"ccctl reaches {rate / floor:.2f} of it")
        log(lines[-1])
    missing = args.latency_items - open_count(app, tenant_id)
    if missing > 0:
        fill(app, tenant_id, missing, seed=2)
    median, p95, cpu = latency(app, args.latency_samples)
    lines.append(f"{kind}: claim latency with {open_count(app, tenant_id) + args.latency_samples + 20:,} open items: "
                 f"median {median:.2f} ms, p95 {p95:.2f} ms, CPU {cpu:.2f} ms (target <= {LATENCY_TARGET_MS} ms: "
                 f"{'met' if median <= LATENCY_TARGET_MS else 'MISSED'})")
    log(lines[-1])
    app.engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--items", type=int, default=100_000, help="open items when the workers start")
    parser.add_argument("--claims", type=int, default=10_000, help="items claimed and closed in the timed run")
    parser.add_argument("--latency-items", type=int, default=1_000_000, help="open items for the latency run")
    parser.add_argument("--latency-samples", type=int, default=300)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-floor", action="store_true", help="skip the bare-psycopg floor run on PostgreSQL")
    args = parser.parse_args()
    if args.claims * 2 > args.items:
        parser.error("--items must be at least twice --claims (ccctl's run, then the floor run)")

    report = []
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="ccctl-bench-") as folder:
            report += run("sqlite", f"sqlite:///{Path(folder) / 'claims.db'}", args)
    if args.only in (None, "postgresql"):
        from ccctl.db.scratch import scratch_schema

        with scratch_schema(args.pg_url, "bench_claims") as url:
            report += run("postgresql", url, args)
    print("\n".join(report))


if __name__ == "__main__":
    main()
