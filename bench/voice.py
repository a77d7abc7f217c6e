"""Bench: simulated inbound calls, 50 at once, against `ccctl serve --workers 2` (voice webhooks).

For each database (SQLite in a temp file; PostgreSQL in a throwaway schema): two tenants on two
numbers, `ccctl serve --workers N --rate-limit 0`, then --calls simulated calls, --concurrent at
a time (tests/support/twilio_voice.py: signed webhooks, TwiML executed). Each call goes through
incoming → menu (no key) → enqueue → wait (position, expected wait) → the caller hangs up →
queue exit (abandoned) → status: 6 webhooks. Then the database is checked: every call stored
once, in the tenant whose number was called, ended "abandoned" (0 lost, 0 routed to another
tenant).

Two load models, each run on the floor and on ccctl in the same run, because one figure cannot
honestly give both targets:

* saturation (closed loop): each of the 50 callers sends its next webhook the instant the
  previous one is answered (no think time). This measures the most answers per second the
  server gives: the ">= 200 webhook answers/s" target. Its answer times are queueing, not
  service: with 50 requests always in flight, Little's law makes the mean answer time
  50 / throughput (250 ms at 200/s) on any server, the floor included.
* paced at --rate webhooks/s (200, the throughput target): the same 50 calls at once, each
  webhook sent when a global pacer gives it a slot (a slot every 1/rate s; a late sender does
  not get a burst of missed slots), so the offered load is the rate and answer time is what a
  caller waits at that load: the "p95 <= 50 ms" target. Real Twilio calls pause between
  webhooks (speech, Gather timeouts, waitUrl polls), so a paced load is the faithful one for
  answer time. The time waiting for a slot is not counted, only send → answer.

The floor: a bare Starlette app under uvicorn with the same worker count answering the same
TwiML documents statically (it reads the form, checks nothing, stores nothing), driven by the
same simulator the same way. Ratios to it say what ccctl's work costs on this machine.

Targets on SQLite: >= 200 webhook answers/s at saturation; p95 <= 50 ms paced at 200/s;
0 lost or cross-tenant (both DBs).

Usage:
  python bench/voice.py                                 # SQLite and PostgreSQL, 2,000 calls per phase
  python bench/voice.py --only sqlite --calls 300
  python bench/voice.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # support.*: the servers and simulator the tests use
sys.path.insert(0, str(ROOT / "bench"))

TARGET_P95_MS, TARGET_RPS = 50.0, 200.0
NUMBERS = {"bench-a": "+33180000001", "bench-b": "+33180000002"}
TENANT = """\
tenant: {slug}
name: {slug}
holidays: null
business_hours: {{mon-sun: ["00:00-24:00"]}}
queues: [{{name: accueil, sla: 1h}}]
plugins:
  voice:
    enabled: true
    numbers: ["{number}"]
    account_sid: {account}
    auth_token: ${{BENCH_VOICE_TOKEN}}
    default_queue: accueil
    menu: {{"1": {{queue: accueil}}}}
"""
FLOOR_APP = '''
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

V = "/t/{tenant}/voice/"
DOCS = {
    "incoming": '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="fr-FR">Bonjour.</Say>'
                '<Gather action="' + V + 'case" finishOnKey="#" input="dtmf" method="POST" numDigits="7" timeout="6">'
                '<Say language="fr-FR">Tapez votre dossier.</Say></Gather><Redirect method="POST">' + V + 'menu</Redirect></Response>',
    "menu": '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="' + V + 'menu-choice" input="dtmf" numDigits="1">'
            '<Say language="fr-FR">Menu.</Say></Gather><Redirect method="POST">' + V + 'enqueue</Redirect></Response>',
    "enqueue": '<?xml version="1.0" encoding="UTF-8"?><Response><Enqueue action="' + V + 'queue-exit" method="POST" '
               'waitUrl="' + V + 'wait" waitUrlMethod="POST">ccctl-x</Enqueue></Response>',
    "wait": '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="fr-FR">Position 1.</Say>'
            '<Gather action="' + V + 'wait-key" input="dtmf" numDigits="1" timeout="1"><Say>1</Say><Pause length="10"/></Gather></Response>',
    "queue-exit": '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    "status": '<?xml version="1.0" encoding="UTF-8"?><Response/>',
}


async def twiml(request):
    await request.form()
    text = DOCS.get(request.path_params["step"], DOCS["status"]).replace("{tenant}", request.path_params["tenant"])
    return Response(text, media_type="application/xml")

app = Starlette(routes=[Route("/t/{tenant}/voice/{step}", twiml, methods=["POST"])])
'''


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class TimedSimulator:
    """The call simulator with each webhook answer timed."""

    def __new__(cls, *args, **kwargs):
        from support.twilio_voice import VoiceSimulator

        class Timed(VoiceSimulator):
            def __init__(self, *a, **kw):
                super().__init__(*a, **kw)
                self.timings: list[float] = []
                self.by_step: dict[str, list[float]] = {}
                self.failures: list[str] = []
                self.callbacks_kept = False

            pacer = None  # a Pacer: each webhook waits for its slot (not timed)

            def post_webhook(self, url, params, auth_token=None, signature=None):
                if self.pacer is not None:
                    self.pacer.wait()
                started = time.perf_counter()
                status, body = super().post_webhook(url, params, auth_token, signature)
                with self.lock:
                    took = time.perf_counter() - started
                    self.timings.append(took)
                    self.by_step.setdefault(url.split("?")[0].rsplit("/", 1)[-1], []).append(took)
                    self.callbacks.clear()  # 12,000 answers: keep memory flat
                    if status != 200:
                        self.failures.append(f"{status} {url}: {body[:200]}")
                return status, body

        return Timed(*args, **kwargs)


class Pacer:
    """One slot every 1/rate s for all callers; a caller late for its slot sends at once, but
    missed slots are not saved up (no burst), so the offered load never exceeds the rate."""

    def __init__(self, rate: float) -> None:
        self.interval, self.next, self.lock = 1.0 / rate, 0.0, threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.perf_counter()
            slot = self.next = max(self.next, now)
            self.next += self.interval
        if slot > now:
            time.sleep(slot - now)


def drive(sim, calls: int, concurrent: int, first: int = 0) -> tuple[float, dict[str, list[str]], list[str]]:
    """Place ``calls`` calls from callers ``first``, ``first + 1``..., ``concurrent`` at a time;
    (seconds, sids per number, errors)."""
    numbers = list(NUMBERS.values())
    placed: dict[str, list[str]] = {n: [] for n in numbers}
    errors: list[str] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        number = numbers[n % len(numbers)]
        call = sim.place_call(f"+336{10000000 + first + n:08d}", number, keys=[None, None], background=True)
        try:
            call.waiting(timeout=120)
            call.hang_up()
            call.finished(timeout=120)
        except BaseException as exc:  # a lost call is a result, not a crash
            with lock:
                errors.append(f"{call.sid}: {exc!r}"[:300])
        with lock:
            placed[number].append(call.sid)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrent) as pool:
        list(pool.map(one, range(calls)))
    return time.perf_counter() - started, placed, errors


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of process group ``pgid``
    (the server and its workers): a figure the machine's load does not inflate."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # after the name: state ppid pgrp session ... utime(11) stime(12)
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def summary(label: str, sim, seconds: float, cpu: float) -> dict:
    times = sorted(sim.timings)
    p50 = statistics.median(times) * 1000
    p95 = times[int(len(times) * 0.95) - 1] * 1000
    row = {"label": label, "answers": len(times), "rps": len(times) / seconds, "p50": p50, "p95": p95,
           "failures": len(sim.failures), "cpu_ms": cpu * 1000 / max(1, len(times))}
    log(f"{label}: {row['answers']} webhook answers in {seconds:.1f} s: {row['rps']:.0f}/s, p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms, server CPU {row['cpu_ms']:.2f} ms per answer, {row['failures']} non-200")
    if sim.failures:
        log("  first: " + sim.failures[0])
    steps = {step: sorted(t) for step, t in sim.by_step.items()}
    log("  p50/p95 ms per step: " + ", ".join(f"{step} {statistics.median(t) * 1000:.0f}/"
                                                f"{t[max(0, int(len(t) * 0.95) - 1)] * 1000:.0f}"
                                                for step, t in steps.items()))
    sim.timings.clear()
    sim.by_step.clear()
    sim.failures.clear()
    return row


def phases(sim, args, label: str, pgid: int) -> tuple[dict, dict, dict[str, list[str]], list[str]]:
    """(saturation figures, paced figures, sids placed per number, simulator errors) on the server
    (process group ``pgid``) the simulator's numbers point at now."""
    sim.pacer = None
    cpu = group_cpu(pgid)
    seconds, placed, errors = drive(sim, args.calls, args.concurrent)
    saturated = summary(f"{label}, saturation (closed loop)", sim, seconds, group_cpu(pgid) - cpu)
    sim.pacer = Pacer(args.rate)
    cpu = group_cpu(pgid)
    seconds, more, more_errors = drive(sim, args.calls, args.concurrent, first=args.calls)  # new callers too
    paced = summary(f"{label}, paced at {args.rate:g}/s", sim, seconds, group_cpu(pgid) - cpu)
    sim.pacer = None
    return saturated, paced, {n: placed[n] + more[n] for n in placed}, errors + more_errors


@contextlib.contextmanager
def floor_server(workers: int):
    from support.live_server import free_port

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "voicefloor.py").write_text(FLOOR_APP)
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "uvicorn", "voicefloor:app", "--app-dir", folder,
                                    "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                                    "--log-level", "warning", "--no-access-log"], start_new_session=True)
        try:
            import httpx

            for _ in range(200):
                with contextlib.suppress(httpx.HTTPError):
                    httpx.post(f"http://127.0.0.1:{port}/t/x/voice/status", timeout=1)
                    break
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}", process.pid
        finally:
            import signal

            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)


def check_database(url: str, placed: dict[str, list[str]]) -> tuple[int, int]:
    """(calls lost: not stored or not ended abandoned, calls stored under another tenant)."""
    from sqlalchemy import select

    from ccctl.db.engine import make_engine
    from ccctl.db.models import Tenant
    from ccctl_voice.models import VoiceCall

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(VoiceCall.call_sid, Tenant.slug, VoiceCall.outcome)
                            .join(Tenant, Tenant.id == VoiceCall.tenant_id)).all()
    engine.dispose()
    stored = {sid: (slug, outcome) for sid, slug, outcome in rows}
    by_number = {number: slug for slug, number in NUMBERS.items()}
    lost = crossed = 0
    for number, sids in placed.items():
        for sid in sids:
            slug, outcome = stored.get(sid, (None, None))
            lost += slug is None or outcome != "abandoned"
            crossed += slug is not None and slug != by_number[number]
    return lost, crossed


def run_one(url: str, kind: str, args) -> bool:
    from support.live_server import running_server

    with tempfile.TemporaryDirectory() as folder:
        sim = TimedSimulator(poll_interval=0.5).start()
        account, token = sim.add_account()
        os.environ["BENCH_VOICE_TOKEN"] = token
        for slug, number in NUMBERS.items():
            path = Path(folder) / f"{slug}.yaml"
            path.write_text(TENANT.format(slug=slug, number=number, account=account))
        subprocess.run([sys.executable, "-m", "ccctl", "--database-url", url, "tenant", "apply", "-f", folder],
                       check=True, capture_output=True)
        log(f"== {kind}: {args.calls} calls per phase, {args.concurrent} at once, {args.workers} workers; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before start")
        with floor_server(args.workers) as (base, pgid):
            for slug, number in NUMBERS.items():
                sim.add_number(number, base, slug, account)
            floor_sat, floor_paced, _placed, _errors = phases(sim, args, f"{kind} floor (bare Starlette, static TwiML)",
                                                              pgid)
        with running_server(url, "--workers", str(args.workers), "--rate-limit", "0") as base:
            for slug, number in NUMBERS.items():
                sim.add_number(number, base, slug, account)
            sat, paced, placed, errors = phases(sim, args, f"{kind} ccctl serve", base.pid)
        sim.stop()
    lost, crossed = check_database(url, placed)
    calls = sum(len(sids) for sids in placed.values())
    print(f"{kind} saturation: {sat['rps']:.0f} webhook answers/s ({sat['rps'] / floor_sat['rps']:.2f} of the "
          f"floor's {floor_sat['rps']:.0f}/s); server CPU {sat['cpu_ms']:.2f} ms per answer (floor "
          f"{floor_sat['cpu_ms']:.2f}); answer p50 {sat['p50']:.1f} ms, p95 {sat['p95']:.1f} ms (queueing: "
          f"floor p50 {floor_sat['p50']:.1f}, p95 {floor_sat['p95']:.1f} ms)")
    print(f"{kind} paced at {args.rate:g}/s offered: {paced['rps']:.0f} answers/s, answer p50 {paced['p50']:.1f} ms, "
          f"p95 {paced['p95']:.1f} ms ({paced['p95'] / floor_paced['p95']:.1f}x the floor's p95 "
          f"{floor_paced['p95']:.1f} ms, p50 {floor_paced['p50']:.1f} ms at {floor_paced['rps']:.0f}/s)")
    print(f"{kind}: {calls} calls: {lost} lost, {crossed} in another tenant, {len(errors)} simulator errors, "
          f"{sat['failures'] + paced['failures']} non-200")
    if errors:
        print("  first error: " + errors[0])
    if kind == "sqlite":
        met = (sat["rps"] >= TARGET_RPS, paced["p95"] <= TARGET_P95_MS)
        print(f"sqlite targets: >= {TARGET_RPS:g} answers/s at saturation {'met' if met[0] else 'MISSED'}; "
              f"p95 <= {TARGET_P95_MS:g} ms at {args.rate:g}/s {'met' if met[1] else 'MISSED'}")
    return lost == crossed == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--rate", type=float, default=TARGET_RPS, help="webhooks/s offered in the paced phase")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    from serve import database

    ok = True
    for kind in ("sqlite", "postgresql"):
        if args.only and args.only != kind:
            continue
        with tempfile.TemporaryDirectory() as tmp, database(args.pg_url if kind == "postgresql" else None, tmp) as url:
            ok &= run_one(url, kind, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
