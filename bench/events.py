"""Bench: signed site events accepted per second by `ccctl serve --workers 2`, and outbound webhook
delivery rate against item creation rate.

Starts the real `ccctl serve --workers N --rate-limit 0` on 127.0.0.1 against a fresh database with
tenant `bench-site` (events API key, one webhook subscribed to item.created pointing at a receiver
on loopback), then:
  health   GET /health for --seconds: the floor (HTTP stack + load generator ceiling, same run)
  events   POST /t/bench-site/api/events for --seconds, each request freshly signed, a unique id,
           half page views (history only), half pre-reservations (history + a routed queue item)
  deliver  `ccctl webhooks deliver -t bench-site` once: every item.created event to the receiver
Prints events/s and its ratio to the floor, checks that every accepted event is in the history
(0 lost), then items created/s during the events phase against webhook deliveries/s.

Target: events >= 500/s accepted on SQLite with 2 workers, 0 lost.

Usage:
  python bench/events.py                         # SQLite in a temp dir
  python bench/events.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/scratch
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # support.live_server: the server start-up the tests use

TARGET = 500
KEY = "bench-site-key"
TENANT = """tenant: bench-site
name: Bench Site
queues:
  - name: ventes
  - name: grands-voyages
routing:
  - name: gros-paniers
    match: {{attributes: {{amount: ">= 2000"}}}}
    queue: grands-voyages
plugins:
  site:
    enabled: true
    secrets: ["${{BENCH_SITE_KEY}}"]
    create_items: [pre_reservation]
    webhooks:
      - {{name: crm, url: "{url}", secret: "${{BENCH_SITE_KEY}}", events: [item.created], timeout: 5}}
"""


def event(worker: int, n: int) -> dict:
    kind = "pre_reservation" if n % 2 else "page_view"
    return {"id": f"w{worker}-{n}", "type": kind,
            "customer": {"email": f"visitor{(worker * 7919 + n) % 2000}@example.org"},
            "data": {"product": "Circuit Japon", "amount": 500 + (n * 37) % 3000, "destination": "asie",
                     "url": "https://voyages.example/japon"}}


async def client_loop(base: str, phase: str, worker: int, deadline: float, counts: dict) -> None:
    import httpx

    from ccctl_site.signing import HEADER, sign

    n = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.perf_counter() < deadline:
            try:
                if phase == "health":
                    response, wanted = await client.get("/health"), (200,)
                else:
                    n += 1
                    body = json.dumps(event(worker, n)).encode()
                    response, wanted = await client.post("/t/bench-site/api/events", content=body, headers={
                        "Content-Type": "application/json", HEADER: sign(KEY, body)}), (201,)
            except httpx.HTTPError as exc:
                counts["errors"] += 1
                counts.setdefault("first_error", repr(exc))
                continue
            if response.status_code in wanted:
                counts["ok"] += 1
            else:
                counts["errors"] += 1
                counts.setdefault("first_error", f"{response.status_code} {response.text[:200]}")


def load_process(base: str, phase: str, first_worker: int, clients: int, seconds: float, queue) -> None:
    counts = {"ok": 0, "errors": 0}

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(client_loop(base, phase, first_worker + i, deadline, counts) for i in range(clients)))

    asyncio.run(main())
    queue.put(counts)


def run_phase(base, phase: str, args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    cpu_before = base.cpu_seconds()
    queue = ctx.Queue()
    per = max(1, args.connections // args.load_procs)
    procs = [ctx.Process(target=load_process, args=(base, phase, p * per, per, args.seconds, queue))
             for p in range(args.load_procs)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    seconds = time.perf_counter() - started
    ok = sum(r["ok"] for r in results)
    cpu_ms = 1000 * (base.cpu_seconds() - cpu_before) / max(1, ok)
    return {"ok": ok, "cpu_ms": cpu_ms, "errors": sum(r["errors"] for r in results), "rate": ok / args.seconds, "wall": seconds,
            "first_error": next((r["first_error"] for r in results if "first_error" in r), "")}


@contextlib.contextmanager
def receiver():
    """A webhook receiver on loopback counting the distinct event ids it got."""
    seen: set[str] = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                seen.add(self.headers["X-Ccctl-Event-Id"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    finally:
        server.shutdown()
        server.server_close()


def stored(url: str) -> tuple[int, int, int]:
    """(site events in history, site items, webhook outbox rows) of the bench tenant."""
    from sqlalchemy import func, select

    from ccctl.db.engine import make_engine
    from ccctl.db.models import Interaction, Tenant, WorkItem
    from ccctl_site.models import WebhookEvent

    engine = make_engine(url)
    with engine.connect() as conn:
        tenant = conn.scalar(select(Tenant.id).where(Tenant.slug == "bench-site"))
        events = conn.scalar(select(func.count()).select_from(Interaction).where(
            Interaction.tenant_id == tenant, Interaction.channel == "site"))
        items = conn.scalar(select(func.count()).select_from(WorkItem).where(
            WorkItem.tenant_id == tenant, WorkItem.channel == "site"))
        outbox = conn.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.tenant_id == tenant))
    engine.dispose()
    return events, items, outbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--load-procs", type=int, default=2)
    args = parser.parse_args()

    from serve import database  # bench/serve.py: a temp SQLite file or a throwaway PostgreSQL schema
    from support.live_server import running_server

    env = {"BENCH_SITE_KEY": KEY}
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as tmp, database(args.database_url, tmp) as url, receiver() as (hook, seen):
        (Path(tmp) / "bench-site.yaml").write_text(TENANT.format(url=hook))
        subprocess.run([sys.executable, "-m", "ccctl", "--database-url", url, "tenant", "apply", "-f",
                        str(Path(tmp) / "bench-site.yaml")], check=True, capture_output=True)
        kind = url.split(":", 1)[0].split("+")[0]
        print(f"ccctl serve --workers {args.workers} on {kind}; {args.connections} keep-alive connections in "
              f"{args.load_procs} load processes, {args.seconds:g} s per phase; {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f} before start")
        with running_server(url, "--workers", str(args.workers), "--rate-limit", "0", env=env) as base:
            floor = run_phase(base, "health", args)
            print(f"  health (floor)  {floor['rate']:8.1f} req/s     {floor['errors']} errors   server CPU {floor['cpu_ms']:.2f} ms/req")
            events = run_phase(base, "events", args)
        history, items, outbox = stored(url)
        lost = events["ok"] - history
        print(f"  events          {events['rate']:8.1f} accepted/s  = {events['rate'] / floor['rate']:.2f} x floor"
              f"   {events['ok']} accepted, {events['errors']} errors, {history} in history, lost {lost}"
              f"   server CPU {events['cpu_ms']:.2f} ms/event")
        if events["errors"]:
            print("    first error:", events["first_error"][:300])
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "ccctl", "--database-url", url, "webhooks", "deliver",
                               "-t", "bench-site", "--format", "json"], capture_output=True, text=True, env={
                                   **os.environ, **env})
        took = time.perf_counter() - started
        created_rate, delivered_rate = items / args.seconds, len(seen) / took
        print(f"  items created   {created_rate:8.1f} /s during the events phase ({items} items, {outbox} outbox rows)")
        print(f"  webhooks        {delivered_rate:8.1f} delivered/s ({len(seen)} distinct events in {took:.1f} s, "
              f"exit {done.returncode}) = {delivered_rate / max(created_rate, 1e-9):.2f} x item creation rate")
        if kind != "sqlite":
            return 0 if lost == 0 and len(seen) == outbox else 1
        ok = events["rate"] >= TARGET and lost == 0 and events["errors"] == 0 and len(seen) == outbox
        print(f"events: {events['rate']:.1f}/s (target >= {TARGET}/s on SQLite with 2 workers, 0 lost): "
              f"{'met' if ok else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
