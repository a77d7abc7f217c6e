"""Bench: requests/s of the contact form served by `ccctl serve` (uvicorn) under a local load generator.

Starts the real `ccctl serve --workers N --rate-limit 0` on 127.0.0.1 against a fresh database
holding the example tenants plus `bench-web` (one queue, no plugin), then runs each phase for
--seconds with --connections keep-alive connections:
  health          GET  /health                    server + load generator ceiling
  form            GET  /t/bench-web/contact       the form page (CSRF cookie and token)
  submit          POST /t/bench-web/contact       customer + history + queue item, 303
  submit-plugins  POST /t/voyages-lumiere/contact same, for a tenant whose plugins react to
                                                  each new item (selfhelp suggests FAQ answers)
The load generator is `wrk` (C, light on CPU: apt-get install wrk) with a Lua script giving every
POST its own submission id and email; without wrk, a Python asyncio/httpx loop in --load-procs
processes (heavier: it takes CPU from the server on small machines). Prints requests/s, latency
percentiles and errors per phase, and checks the database holds one web item per submission.

"server CPU ms/req" is the CPU the server processes spent per request: unlike req/s it does not
depend on what else the machine runs. On SQLite, submissions also queue for the one writer;
those queued together are stored in one transaction (group commit, ccctl/web/batch.py).

Target: `submit` >= 300 req/s on SQLite with 2 workers, no errors.

Usage:
  apt-get install -y wrk && python bench/serve.py        # SQLite in a temp dir, 2 workers
  python bench/serve.py --workers 1 --seconds 5
  python bench/serve.py --generator python
  python bench/serve.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/scratch
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # support.live_server: the server start-up the tests use

TARGET = 300
BENCH_TENANT = "tenant: bench-web\nname: Bench Web\nqueues:\n  - name: general\n"
PHASES = {  # phase: (method, tenant or None for /health)
    "health": ("GET", None),
    "form": ("GET", "bench-web"),
    "submit": ("POST", "bench-web"),
    "submit-plugins": ("POST", "voyages-lumiere"),
}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMIT_LUA = r"""
local token, cookie, path = os.getenv("BENCH_TOKEN"), os.getenv("BENCH_COOKIE"), os.getenv("BENCH_PATH")
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
function request()
  n = n + 1
  local id = string.format("%08x%08x%016x", tid, math.random(0, 2147483647), n)
  local body = "csrf_token=" .. token .. "&submission_id=" .. id .. "&name=Bench+Visitor&email=w" .. id ..
    "%40example.org&message=Bench%3A+please+call+me+back&ref=BENCH"
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["Cookie"] = cookie}, body)
end
"""


def path_of(tenant: str | None) -> str:
    return "/health" if tenant is None else f"/t/{tenant}/contact"


def csrf_pair(base: str, tenant: str) -> tuple[str, str]:
    """(token, cookie header) a visitor gets by loading the form once."""
    import httpx

    with httpx.Client(base_url=base) as client:
        page = client.get(path_of(tenant))
        return TOKEN.search(page.text).group(1), f"ccctl_csrf={client.cookies['ccctl_csrf']}"


# --- wrk -------------------------------------------------------------------------------------

def run_wrk(base: str, phase: str, args, tmp: str) -> dict:
    method, tenant = PHASES[phase]
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds:g}s", "--timeout", "10s", "--latency"]
    env = dict(os.environ)
    if method == "POST":
        script = Path(tmp) / "submit.lua"
        script.write_text(SUBMIT_LUA)
        token, cookie = csrf_pair(base, tenant)
        env.update(BENCH_TOKEN=token, BENCH_COOKIE=cookie, BENCH_PATH=path_of(tenant))
        command += ["-s", str(script), base]
    else:
        command.append(base + path_of(tenant))
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout

    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, out)
        return float(match.group(1)) if match else default

    def millis(label: str) -> float:
        match = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)\b", out)
        if not match:
            return 0.0
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    socket = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = int(number(r"Non-2xx or 3xx responses: (\d+)"))
    total = int(number(r"(\d+) requests in"))
    return {"phase": phase, "requests": total - bad, "errors": bad + socket, "rps": number(r"Requests/sec:\s+([\d.]+)"),
            "p50_ms": millis("50"), "p99_ms": millis("99"), "first_error": out if bad + socket else ""}


# --- Python load loop (when wrk is missing) --------------------------------------------------

async def visitor(base: str, phase: str, deadline: float, latencies: list[float], errors: list[str]) -> None:
    import httpx

    method, tenant = PHASES[phase]
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = ""
        if method == "POST":
            token = TOKEN.search((await client.get(path_of(tenant))).text).group(1)
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                if method == "GET":
                    response, wanted = await client.get(path_of(tenant)), 200
                else:
                    sid = uuid.uuid4().hex
                    response, wanted = await client.post(path_of(tenant), data={
                        "csrf_token": token, "submission_id": sid, "name": "Bench Visitor",
                        "email": f"w{sid}@example.org", "message": "Bench: please call me back", "ref": "BENCH"}), 303
            except httpx.HTTPError as exc:
                errors.append(repr(exc))
                continue
            if response.status_code != wanted:
                errors.append(f"{response.status_code}: {response.text[:200]}")
            else:
                latencies.append(time.perf_counter() - start)


def load_process(base: str, phase: str, clients: int, seconds: float, queue) -> None:
    latencies: list[float] = []
    errors: list[str] = []

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(visitor(base, phase, deadline, latencies, errors) for _ in range(clients)))

    asyncio.run(main())
    queue.put((latencies, errors))


def run_python(base: str, phase: str, args, _tmp: str) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=load_process,
                         args=(base, phase, max(1, args.connections // args.load_procs), args.seconds, queue))
             for _ in range(args.load_procs)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = [e for _, err in results for e in err]
    pick = lambda q: 1000 * latencies[int(q * (len(latencies) - 1))] if latencies else 0.0  # noqa: E731
    return {"phase": phase, "requests": len(latencies), "errors": len(errors), "rps": len(latencies) / args.seconds,
            "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0, "p99_ms": pick(0.99),
            "first_error": errors[0] if errors else ""}


# --- main ------------------------------------------------------------------------------------

def web_items(url: str, tenant: str) -> int:
    from sqlalchemy import func, select

    from ccctl.db.engine import make_engine
    from ccctl.db.models import Tenant, WorkItem

    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(WorkItem).join(Tenant, Tenant.id == WorkItem.tenant_id)
                        .where(Tenant.slug == tenant, WorkItem.channel == "web"))
    engine.dispose()
    return n


@contextlib.contextmanager
def database(url: str | None, tmp: str) -> Iterator[str]:
    """A fresh SQLite file, or a throwaway schema in the PostgreSQL database ``url`` (dropped after)."""
    if not url:
        yield f"sqlite:///{tmp}/bench.db"
        return
    from ccctl.db.scratch import scratch_schema

    with scratch_schema(url, "bench_serve") as scoped:
        yield scoped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--load-procs", type=int, default=2, help="processes of the python generator")
    parser.add_argument("--phases", default=",".join(PHASES))
    args = parser.parse_args()

    from support.live_server import running_server

    run = run_wrk if args.generator == "wrk" else run_python
    with tempfile.TemporaryDirectory() as tmp, database(args.database_url, tmp) as url:
        clients = Path(tmp) / "clients"
        shutil.copytree(ROOT / "examples" / "clients", clients)
        (clients / "bench-web.yaml").write_text(BENCH_TENANT)
        subprocess.run([sys.executable, "-m", "ccctl", "--database-url", url, "tenant", "apply", "-f", str(clients)],
                       check=True, capture_output=True)
        kind = url.split(":", 1)[0].split("+")[0]
        print(f"ccctl serve --workers {args.workers} on {kind}; load: {args.generator}, {args.connections} "
              f"keep-alive connections, {args.seconds:g} s per phase; {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f} before start")
        rows = {}
        with running_server(url, "--workers", str(args.workers), "--rate-limit", "0") as base:
            for phase in args.phases.split(","):
                _method, tenant = PHASES[phase]
                before = web_items(url, tenant) if PHASES[phase][0] == "POST" else 0
                cpu_before = base.cpu_seconds()
                row = rows[phase] = run(base, phase, args, tmp)
                row["cpu_ms"] = 1000 * (base.cpu_seconds() - cpu_before) / max(1, row["requests"])
                stored = web_items(url, tenant) - before if PHASES[phase][0] == "POST" else None
                # wrk stops with requests in flight: those are stored but not counted.
                row["stored_ok"] = stored is None or row["requests"] <= stored <= row["requests"] + args.connections
                print(f"  {phase:<15} {row['rps']:8.1f} req/s   p50 {row['p50_ms']:7.1f} ms   p99 {row['p99_ms']:7.1f} ms"
                      f"   {row['requests']:6d} ok   {row['errors']} errors   server CPU {row['cpu_ms']:.2f} ms/req"
                      + ("" if stored is None else f"   {stored} items stored"
                         + ("" if row["stored_ok"] else " (MISMATCH)")))
                if row["errors"]:
                    print("    first error:", row["first_error"][:600])
        submit = rows.get("submit")
        if submit is None or kind != "sqlite":
            return 0  # the target is set for SQLite
        ok = submit["rps"] >= TARGET and submit["errors"] == 0 and submit["stored_ok"]
        print(f"submit: {submit['rps']:.1f} req/s (target >= {TARGET} req/s, no errors, on SQLite with 2 workers): "
              f"{'met' if ok else 'NOT met'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
