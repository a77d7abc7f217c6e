"""Cost of `ccctl report kpi` and `report staffing` on a month of work items, against `ccctl --help`.

Builds (once, cached in bench/out/) a SQLite database with N items spread over October 2026
for one tenant, then runs, interleaved so machine noise hits every command alike:
  * ``ccctl --help``                                   (baseline: a bare ccctl start),
  * ``ccctl report kpi --by day`` over the month,
  * ``ccctl report kpi --by hour --html`` over the month (720 buckets, charts),
  * ``ccctl report staffing`` for the next Monday (4 weeks of history).
Prints the median wall time of each and its ratio to the baseline.

Usage:
  python bench/reports.py                  # 60,000 items
  python bench/reports.py --items 200000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def build(path: Path, count: int) -> None:
    from ccctl.context import App
    from ccctl.db.models import WorkItem
    from ccctl.plugins import get_plugin_manager

    url = f"sqlite:///{path}"
    subprocess.run([sys.executable, "-m", "ccctl", "--database-url", url, "tenant", "apply", "-f",
                    str(ROOT / "examples" / "clients")], check=True, capture_output=True)
    app = App(get_plugin_manager(), url)
    rng = random.Random(1)
    start = datetime(2026, 9, 30, 22, tzinfo=timezone.utc)  # 1 October, Paris
    with app.session() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        rows = []
        for _ in range(count):
            created = start + timedelta(seconds=rng.randrange(0, 31 * 86400))
            claimed = created + timedelta(minutes=rng.randrange(1, 120))
            closed = claimed + timedelta(minutes=rng.randrange(2, 600)) if rng.random() < 0.9 else None
            rows.append(dict(tenant_id=tenant.id, channel=rng.choice(["email", "callback", "web", "sms"]),
                             queue=rng.choice(["reservations", "apres-vente"]), created_at=created,
                             due_at=created + timedelta(hours=4), claimed_at=claimed, closed_at=closed,
                             state="closed" if closed else "claimed", outcome="resolved" if closed else None,
                             customer_id=None, subject="", body="", priority=0, skills=[], attributes={},
                             updated_at=created))
        session.execute(WorkItem.__table__.insert(), rows)
        session.commit()
    app.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=60000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"reports-{args.items}.db"
    if not path.exists():
        print(f"building {path.name} ({args.items:,} items)...", file=sys.stderr)
        build(path, args.items)
    url = f"sqlite:///{path}"
    base = [sys.executable, "-m", "ccctl", "--database-url", url]
    month = ["-t", "voyages-lumiere", "--from", "2026-10-01", "--to", "2026-10-31", "--format", "csv"]
    commands = {
        "ccctl --help": [sys.executable, "-m", "ccctl", "--help"],
        "report kpi --by day": base + ["report", "kpi", *month],
        "report kpi --by hour --html": base + ["report", "kpi", *month, "--by", "hour",
                                               "--html", str(OUT / "reports-kpi.html")],
        "report staffing": base + ["report", "staffing", "-t", "voyages-lumiere", "--date", "2026-11-02"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    env = {**os.environ, "USER": "bench"}
    for _ in range(args.runs):
        for name, command in commands.items():
            began = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            times[name].append(time.perf_counter() - began)
    baseline = statistics.median(times["ccctl --help"])
    print(f"{args.items:,} work items over one month, median of {args.runs} runs")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<30} {median:7.2f} s   {median / baseline:6.1f} x ccctl --help")


if __name__ == "__main__":
    main()
