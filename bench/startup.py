"""Start-up cost of the ccctl command line, as ratios to ``python -c "import click"``.

Measures, in one run and interleaved so that machine noise hits every command alike:
  * ``python -c "import click"`` (the baseline: a Python process that loads click),
  * ``ccctl --help``              (target: at most 2.0 times the baseline),
  * ``ccctl customer find PHONE`` against a database of 100,000 customers (target: at most
    4.0 times the baseline).
Prints the median wall time of each and its ratio to the baseline. Then, once:
  * ``ccctl customer find -`` fed 10,000 phone numbers as operators type them (90 % known),
    at ``--stdin-customers`` customers (default 1,000,000; target: 5,000 lookups/s), next to
    the floor: the same 10,000 look-ups as bare ``sqlite3`` queries on normalised values.

Usage:
  python bench/startup.py                       # 100,000 customers, SQLite cached in bench/out/
  python bench/startup.py --runs 41 --customers 100000 --stdin-customers 1000000
  python bench/startup.py --runs 11 --stdin-customers 100000   # a quicker run
  python bench/startup.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import population

TARGET_HELP_RATIO = 2.0
TARGET_FIND_RATIO = 4.0
TARGET_LOOKUPS = 5_000
QUERIES = 10_000


def ccctl_command() -> list[str]:
    """The console script operators run, next to this interpreter (no pyenv/venv shim in between)."""
    script = Path(sys.executable).parent / "ccctl"
    if script.exists():
        return [str(script)]
    found = shutil.which("ccctl")
    return [found] if found else [sys.executable, "-m", "ccctl"]


def wall(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=31, help="runs of each command (default 31)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--stdin-customers", type=int, default=1_000_000,
                        help="customers for the `customer find -` run (0: skip it)")
    parser.add_argument("--database-url", default=None, help="default: a cached SQLite file in bench/out/")
    args = parser.parse_args()

    url = population.database_url(args.customers, args.database_url)
    population.ensure_population(url, args.customers)
    env = {**os.environ, "CCCTL_DATABASE_URL": url}
    env.pop("CCCTL_LOAD_PLUGINS", None)  # measure with every installed plugin loaded
    ccctl = ccctl_command()
    commands = {
        'python -c "import click"': [sys.executable, "-c", "import click"],
        "ccctl --help": [*ccctl, "--help"],
        "ccctl customer find PHONE": [*ccctl, "customer", "find", population.phone(args.customers // 2),
                                      "-t", population.TENANT, "--format", "json"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the OS caches and ccctl's entry-point cache
        wall(cmd, env)
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(wall(cmd, env))

    base = statistics.median(times['python -c "import click"'])
    print(f"{args.runs} runs each, {args.customers:,} customers, {url.split('://')[0]}, Python {sys.version.split()[0]}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:28s} median {median * 1000:7.1f} ms   {median / base:5.2f}x baseline")
    ratio = statistics.median(times["ccctl --help"]) / base
    verdict = "meets" if ratio <= TARGET_HELP_RATIO else "MISSES"
    print(f"ccctl --help: {ratio:.2f}x baseline, {verdict} the {TARGET_HELP_RATIO}x target")
    ratio = statistics.median(times["ccctl customer find PHONE"]) / base
    verdict = "meets" if ratio <= TARGET_FIND_RATIO else "MISSES"
    print(f"ccctl customer find: {ratio:.2f}x baseline, {verdict} the {TARGET_FIND_RATIO}x target")
    if args.stdin_customers:
        find_stdin(args, ccctl)


def national(phone: str) -> str:
    digits = "0" + phone[3:]
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


def find_stdin(args, ccctl: list[str]) -> None:
    """``customer find -`` with 10,000 numbers, and the bare-sqlite3 floor of the same look-ups."""
    import json
    import random
    import sqlite3

    url = population.database_url(args.stdin_customers, args.database_url)
    population.ensure_population(url, args.stdin_customers)
    rng = random.Random(5)
    picks = [rng.randrange(args.stdin_customers) if rng.random() < 0.9 else args.stdin_customers + rng.randrange(10**6)
             for _ in range(QUERIES)]
    text = "".join(national(population.phone(i)) + "\n" for i in picks)
    env = {**os.environ, "CCCTL_DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run([*ccctl, "customer", "find", "-", "-t", population.TENANT], input=text,
                          capture_output=True, text=True, env=env, check=True)
    elapsed = time.perf_counter() - started
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    found = sum(1 for a in answers if a["customers"])
    wanted = sum(1 for i in picks if i < args.stdin_customers)
    if len(answers) != QUERIES or found != wanted:
        sys.exit(f"customer find -: {len(answers)} answers, {found} found; wanted {QUERIES} and {wanted}")
    rate = QUERIES / elapsed
    print(f"customer find - : {QUERIES:,} numbers at {args.stdin_customers:,} customers in {elapsed:.2f} s "
          f"= {rate:,.0f} lookups/s (one process, start-up included)")
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///"):])
        tenant = conn.execute("SELECT id FROM tenants WHERE slug = ?", (population.TENANT,)).fetchone()[0]
        started = time.perf_counter()
        for i in picks:
            owner = conn.execute("SELECT customer_id FROM contact_points WHERE tenant_id = ? AND kind = 'phone' "
                                 "AND value = ?", (tenant, population.phone(i))).fetchone()
            if owner:
                conn.execute("SELECT kind, value FROM contact_points WHERE customer_id = ?", owner).fetchall()
        floor = QUERIES / (time.perf_counter() - started)
        conn.close()
        print(f"  floor: bare sqlite3, normalised numbers: {floor:,.0f} lookups/s; ccctl = {rate / floor:.3f}x floor")
    verdict = "meets" if rate >= TARGET_LOOKUPS else "MISSES"
    print(f"customer find -: {rate:,.0f} lookups/s, {verdict} the {TARGET_LOOKUPS:,} lookups/s target")


if __name__ == "__main__":
    main()
