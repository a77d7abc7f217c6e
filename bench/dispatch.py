"""Bench: `ccctl sms dispatch` against the local Twilio-compatible server (100 ms per request).

Phase 1: N due messages (default 10,000), no rate limit; the dispatcher is killed with SIGKILL
mid-run, then run again to the end. Prints messages/s of each run, then duplicates and losses
(every outbox row must match exactly one message the server accepted).
Phase 2: a configured rate (default 100/s) over M messages; prints the measured rate.
Phase 3: an outage. `ccctl sms dispatch --quiet` runs back to back as cron would (every second
here); halfway through N messages the provider goes down (connections refused, in-flight ones
cut) for a while, then comes back. Prints failed, duplicated and lost messages (target 0, 0, 0)
and the time to drain after recovery, as a ratio to the floor: what was left, sent at the
no-outage rate measured in phase 1.

    python bench/dispatch.py                       # SQLite in a temp dir
    python bench/dispatch.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
Targets: >= 200 msg/s without a rate limit, within 5 % of the rate when one is set, 0 duplicates, 0 losses.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ccctl.db.scratch import scratch_schema
from ccctl.testing.twilio_server import TwilioTestServer

TOKEN_ENV = "BENCH_TWILIO_TOKEN"


def ccctl(db_url: str, env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([sys.executable, "-m", "ccctl", "--database-url", db_url, *args], input=stdin,
                            env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"ccctl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def tenant_file(folder: Path, slug: str, server: TwilioTestServer, **extra) -> Path:
    import yaml

    sms = {"enabled": True, "backend": "twilio", "account_sid": server.account_sid,
           "auth_token": "${%s}" % TOKEN_ENV, "from": "+33757000001", "api_url": server.url, **extra}
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump({"tenant": slug, "name": slug, "queues": [{"name": "q"}],
                                    "plugins": {"sms": sms}}), encoding="utf-8")
    return path


def schedule(db_url: str, env: dict, slug: str, prefix: str, count: int) -> float:
    lines = "".join(json.dumps({"to": f"+3361{i:07d}", "body": f"{prefix} message {i}", "key": f"{prefix}-{i}"}) + "\n"
                    for i in range(count))
    start = time.perf_counter()
    ccctl(db_url, env, "sms", "schedule", "-", "-t", slug, "--format", "json", stdin=lines)
    return time.perf_counter() - start


def dispatch(db_url: str, env: dict, slug: str, concurrency: int, kill_after: int | None,
             server: TwilioTestServer, log: Path) -> tuple[float, int]:
    """Run one dispatcher; SIGKILL it once the server accepted ``kill_after`` creates. (seconds, creates)."""
    before = len(server.create_requests())
    start = time.perf_counter()
    with log.open("a") as err:
        proc = subprocess.Popen([sys.executable, "-m", "ccctl", "--database-url", db_url, "sms", "dispatch",
                                 "-t", slug, "--concurrency", str(concurrency), "--format", "json"],
                                env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        if kill_after is None:
            proc.communicate()
        else:
            while len(server.create_requests()) - before < kill_after and proc.poll() is None:
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    return time.perf_counter() - start, len(server.create_requests()) - before


def rate_of(server: TwilioTestServer, prefix: str, start: int = 0, end: int | None = None) -> float:
    """Creates per second from the server's own log (requests ``start:end``), first to last one of ``prefix``."""
    times = sorted(r.at for r in server.create_requests()[start:end]
                   if str(r.params.get("Body", "")).startswith(prefix))
    if len(times) < 2:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0]).total_seconds()


def check(db_url: str, server: TwilioTestServer, slug: str, prefix: str, count: int) -> tuple[int, int]:
    """(duplicates, losses) for the rows of ``prefix``."""
    from sqlalchemy import create_engine, text

    created = [m for m in server.created_messages() if (m["body"] or "").startswith(prefix)]
    per_message = Counter((m["to"], m["body"]) for m in created)
    duplicates = sum(n - 1 for n in per_message.values())
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT o.state, o.provider_sid FROM sms_outbox o JOIN tenants t ON t.id = o.tenant_id "
            "WHERE t.slug = :slug AND o.body LIKE :p"), {"slug": slug, "p": prefix + "%"}).all()
    engine.dispose()
    server_sids = {m["sid"] for m in created}
    losses = sum(1 for state, sid in rows if state != "sent" or sid not in server_sids) + (count - len(rows))
    return duplicates, losses


def outage(db_url: str, env: dict, server: TwilioTestServer, count: int, down_for: float, concurrency: int,
           floor_rate: float) -> None:
    """Phase 3 (see the module docstring)."""
    from sqlalchemy import create_engine, text

    slug, prefix = "bench-outage", "outage"
    schedule(db_url, env, slug, prefix, count)
    engine = create_engine(db_url)

    def sent() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM sms_outbox o JOIN tenants t ON t.id = o.tenant_id "
                                     "WHERE t.slug = :s AND o.state = 'sent'"), {"s": slug}).scalar()

    def accepted() -> int:
        return sum(1 for m in server.created_messages() if (m["body"] or "").startswith(prefix))

    state = {"down_at": None, "up_at": None, "left": None}

    def watch() -> None:
        now = time.perf_counter()
        if state["down_at"] is None and accepted() >= count // 2:
            server.down()
            state["down_at"] = now
        elif state["down_at"] is not None and state["up_at"] is None and now - state["down_at"] >= down_for:
            server.up()
            state["up_at"], state["left"] = now, count - sent()

    runs, loud, deadline = 0, 0, time.perf_counter() + 3600
    while time.perf_counter() < deadline:
        proc = subprocess.Popen([sys.executable, "-m", "ccctl", "--database-url", db_url, "sms", "dispatch", "-t",
                                 slug, "--quiet", "--linger", "0", "--concurrency", str(concurrency)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None:
            watch()
            time.sleep(0.01)
        runs += 1
        loud += proc.returncode != 0 or bool(proc.stdout.read() or proc.stderr.read())
        if state["up_at"] is not None and sent() == count:
            break
        pause = time.perf_counter() + 1.0   # the next cron run
        while time.perf_counter() < pause:
            watch()
            time.sleep(0.01)
    drained = time.perf_counter() - state["up_at"]
    with engine.connect() as conn:
        failed = conn.execute(text("SELECT count(*) FROM sms_outbox o JOIN tenants t ON t.id = o.tenant_id "
                                   "WHERE t.slug = :s AND o.state = 'failed'"), {"s": slug}).scalar()
    engine.dispose()
    duplicates, losses = check(db_url, server, slug, prefix, count)
    floor = state["left"] / floor_rate
    print(f"outage  : provider down {down_for:.0f} s after {count // 2} of {count} messages; {runs} cron runs, "
          f"{loud} of them reported a problem (exit 1, stderr)")
    print(f"outage  : {failed} failed, {duplicates} duplicated, {losses} lost (target 0, 0, 0)")
    print(f"outage  : {state['left']} left at recovery drained in {drained:.1f} s = {drained / floor:.1f}x the floor "
          f"({floor:.1f} s at the no-outage {floor_rate:.0f} msg/s; retries back off from 2 s, doubling)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--kill-at", type=float, default=0.4, help="fraction of messages sent before kill -9")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--rate-messages", type=int, default=3000)
    parser.add_argument("--outage-messages", type=int, default=10_000)
    parser.add_argument("--outage-seconds", type=float, default=10.0, help="how long the provider is down")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ccctl-bench-sms-"))
    cleanup = contextlib.ExitStack()
    db_url = args.database_url
    if db_url and db_url.startswith("postgresql"):
        db_url = cleanup.enter_context(scratch_schema(db_url, "bench_sms"))  # dropped in `finally`
    db_url = db_url or f"sqlite:///{folder / 'bench.db'}"
    server = TwilioTestServer(latency=args.latency).start()
    env = {**os.environ, TOKEN_ENV: server.auth_token, "CCCTL_TENANT": ""}
    log = folder / "dispatch.log"
    try:
        # The local server lists a message as soon as it is created, so the re-run may reconcile the
        # killed run's in-flight rows at once; against Twilio keep the default (10 s of list lag).
        ccctl(db_url, env, "tenant", "apply", "-f", str(tenant_file(folder, "bench-free", server, reconcile_after=0)))
        ccctl(db_url, env, "tenant", "apply", "-f",
              str(tenant_file(folder, "bench-rate", server, rate_per_second=args.rate)))
        ccctl(db_url, env, "tenant", "apply", "-f", str(tenant_file(folder, "bench-outage", server, reconcile_after=0)))
        took = schedule(db_url, env, "bench-free", "free", args.messages)
        print(f"database: {db_url.split('?')[0]}; server latency {args.latency * 1000:.0f} ms per request")
        print(f"schedule: {args.messages} messages queued in {took:.1f} s")

        kill_after = int(args.messages * args.kill_at)
        first_s, first_n = dispatch(db_url, env, "bench-free", args.concurrency, kill_after, server, log)
        rate_1 = rate_of(server, "free", 0, first_n)
        print(f"run 1   : killed with SIGKILL after {first_n} creates in {first_s:.1f} s: {rate_1:.0f} msg/s at the "
              f"server ({first_n / first_s:.0f} msg/s wall clock, start-up included)")
        second_s, second_n = dispatch(db_url, env, "bench-free", args.concurrency, None, server, log)
        rate_2 = rate_of(server, "free", first_n, None)
        print(f"run 2   : {second_n} creates in {second_s:.1f} s: {rate_2:.0f} msg/s at the server "
              f"({second_n / second_s:.0f} msg/s wall clock, start-up included)")
        free_rate = (first_n + second_n) / ((first_n - 1) / rate_1 + (second_n - 1) / rate_2)
        duplicates, losses = check(db_url, server, "bench-free", "free", args.messages)
        print(f"no rate limit: {free_rate:.0f} msg/s at the server over both runs (concurrency {args.concurrency}; target >= 200)")
        print(f"exactly once : {duplicates} duplicates, {losses} losses over {args.messages} messages "
              f"after kill -9 and re-run (target 0 and 0)")

        schedule(db_url, env, "bench-rate", "rate", args.rate_messages)
        rate_s, rate_n = dispatch(db_url, env, "bench-rate", args.concurrency, None, server, log)
        measured = rate_of(server, "rate")
        r_dup, r_loss = check(db_url, server, "bench-rate", "rate", args.rate_messages)
        print(f"rate limit {args.rate:.0f}/s: {measured:.1f} msg/s measured at the server over {rate_n} messages "
              f"({(measured / args.rate - 1) * 100:+.1f} %; target within 5 %), {r_dup} duplicates, {r_loss} losses")
        if args.outage_messages:
            outage(db_url, env, server, args.outage_messages, args.outage_seconds, args.concurrency, free_rate)
    finally:
        server.stop()
        cleanup.close()


if __name__ == "__main__":
    main()
