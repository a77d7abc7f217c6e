"""``customer import`` throughput, as a ratio to a bare ``executemany`` of the same rows.

Generates a CSV of N rows the way client exports look: phones written five ways, 5 % of
rows repeating an earlier person (another phone format, same email), 1 % conflicts (a
different person giving an earlier row's phone). Then, in one run:
  * floor: ``sqlite3`` ``executemany`` of the same rows into a bare 4-column table
    (CSV parsing included, no normalising, no matching);
  * ``ccctl customer import FILE --on-conflict new`` into an empty tenant (target: 10,000 rows/s on SQLite);
  * the same file again into the now full tenant (everything matches; nothing changes).
Each import is one ``ccctl`` process, start-up included, as an operator runs it.

Usage:
  python bench/import.py                   # 1,000,000 rows (a few minutes)
  python bench/import.py --rows 100000     # a quicker run
  python bench/import.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import population
from startup import ccctl_command

TARGET = 10_000


def messy(phone: str, rng: random.Random) -> str:
    """'+33610000001' written as people write it."""
    national = "0" + phone[3:]
    pairs = " ".join(national[i:i + 2] for i in range(0, 10, 2))
    return rng.choice([pairs, pairs.replace(" ", "."), national, "+33 " + pairs[1:], pairs.replace(" ", "-")])


def generate(path: Path, rows: int) -> dict[str, int]:
    rng = random.Random(14)
    made = {"rows": rows, "duplicates": 0, "conflicts": 0}
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["name", "email", "phone", "customer_ref", "city"])
        person = 0
        for _ in range(rows):
            roll = rng.random()
            if person and roll < 0.05:      # an earlier person again, phone written another way
                i = rng.randrange(person)
                made["duplicates"] += 1
                out.writerow([_name(i), population.email(i), messy(population.phone(i), rng), f"C{i}", "Lyon"])
            elif person and roll < 0.06:    # someone else at an earlier person's phone: a conflict
                i = rng.randrange(person)
                made["conflicts"] += 1
                out.writerow(["Camille Autre", f"autre{person}.{i}@example.com", messy(population.phone(i), rng),
                              "", "Lyon"])
            else:
                out.writerow([_name(person), population.email(person), messy(population.phone(person), rng),
                              f"C{person}", "Lyon"])
                person += 1
    return made


def _name(i: int) -> str:
    return f"{population.FIRST[i % 20]} {population.LAST[(i // 20) % 20]}"


def floor(path: Path, folder: Path) -> float:
    """Rows per second of the plainest load: csv.reader + one executemany into a bare table."""
    db = folder / "floor.db"
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE people (name TEXT, email TEXT, phone TEXT, customer_ref TEXT, city TEXT)")
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        count = 0
        with conn:
            while True:
                batch = [row for _, row in zip(range(50_000), reader)]
                if not batch:
                    break
                conn.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?)", batch)
                count += len(batch)
    conn.close()
    return count / (time.perf_counter() - started)


def run_import(path: Path, url: str) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the ccctl process, its report)."""
    env = {**os.environ, "CCCTL_DATABASE_URL": url}
    cpu = _child_cpu()
    started = time.perf_counter()
    done = subprocess.run([*ccctl_command(), "customer", "import", str(path), "-t", population.TENANT,
                           "--on-conflict", "new", "--format", "json", "--details", "0"],
                          capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"import failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    return elapsed, _child_cpu() - cpu, {k: report[k] for k in ("created", "updated", "unchanged", "conflicts",
                                                                "invalid")}


def _child_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in bench/out/")
    args = parser.parse_args()

    population.OUT.mkdir(exist_ok=True)
    csv_path = population.OUT / f"import-{args.rows}.csv"
    made = generate(csv_path, args.rows)
    url = args.database_url
    if url is None:
        db = population.OUT / f"import-{args.rows}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    population.ensure_population(url, 0)  # the example tenants, no customer
    started = time.process_time()
    base = floor(csv_path, population.OUT)
    base_cpu = args.rows / (time.process_time() - started)
    empty, empty_cpu, first = run_import(csv_path, url)
    full, full_cpu, second = run_import(csv_path, url)
    rows = args.rows
    print(f"{rows:,} rows ({made['duplicates']:,} repeats, {made['conflicts']:,} conflicts), "
          f"{url.split('://')[0]}, Python {sys.version.split()[0]}")
    print("  (wall rows/s, and rows per CPU-second of the process: on a shared machine the wall figure")
    print("   also counts time spent waiting for a core)")
    print(f"  floor: csv + executemany     {base:10,.0f} rows/s  {base_cpu:10,.0f} rows/cpu-s")
    for label, elapsed, cpu, report in (("import into empty tenant", empty, empty_cpu, first),
                                        ("import again (full tenant)", full, full_cpu, second)):
        rate = rows / elapsed
        print(f"  {label:28s} {rate:10,.0f} rows/s  {rows / cpu:10,.0f} rows/cpu-s  {rate / base:6.3f}x floor"
              f"  {elapsed:6.1f} s  {report}")
    verdict = "meets" if rows / empty >= TARGET else "MISSES"
    print(f"first import: {rows / empty:,.0f} rows/s, {verdict} the {TARGET:,} rows/s target")


if __name__ == "__main__":
    main()
