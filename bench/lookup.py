"""Phone and email lookups inside one process against a large customer base.

Times ``find_customers()`` plus ``customer_row()`` (what ``ccctl customer find`` does
after start-up) for random known customers: numbers written the national way
("06 10 ...") and emails in mixed case, so normalisation is part of each lookup.
Target: at most 5 ms per lookup at 1,000,000 customers.  Prints median and p95.

Usage:
  python bench/lookup.py                        # 1,000,000 customers (built once, cached in bench/out/)
  python bench/lookup.py --customers 10000      # a quick run
  python bench/lookup.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

import population

TARGET_MS = 5.0


def national(phone: str) -> str:
    """'+33610000000' → '06 10 00 00 00', as an operator would type it."""
    digits = "0" + phone[3:]
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000, help="lookups of each kind (default 2000)")
    parser.add_argument("--database-url", default=None, help="default: a cached SQLite file in bench/out/")
    args = parser.parse_args()

    from ccctl.context import App
    from ccctl.customers import customer_row, find_customers
    from ccctl.plugins import get_plugin_manager

    url = population.database_url(args.customers, args.database_url)
    population.ensure_population(url, args.customers)
    app = App(get_plugin_manager(), url)
    rng = random.Random(7)
    results: dict[str, list[float]] = {"phone": [], "email": []}
    with app.session() as session:
        tenant = app.tenant(session, population.TENANT)
        find_customers(session, tenant, population.email(0))  # warm up: imports, connection, caches
        for _ in range(args.lookups):
            for kind in ("phone", "email"):
                i = rng.randrange(args.customers)
                query = national(population.phone(i)) if kind == "phone" else population.email(i).upper()
                started = time.perf_counter()
                rows = [customer_row(c) for c in find_customers(session, tenant, query)]
                results[kind].append(time.perf_counter() - started)
                if len(rows) != 1:
                    sys.exit(f"lookup of {query!r} found {len(rows)} customers, wanted 1")
                session.expunge_all()  # a fresh process knows nothing: no identity-map hits
    app.engine.dispose()

    print(f"{args.lookups} lookups of each kind, {args.customers:,} customers, {url.split('://')[0]}")
    worst = 0.0
    for kind, samples in results.items():
        ms = sorted(s * 1000 for s in samples)
        p95 = ms[int(len(ms) * 0.95) - 1]
        worst = max(worst, statistics.median(ms))
        print(f"  {kind:5s} median {statistics.median(ms):6.2f} ms   p95 {p95:6.2f} ms")
    verdict = "meets" if worst <= TARGET_MS else "MISSES"
    print(f"median lookup {worst:.2f} ms: {verdict} the {TARGET_MS} ms target")


if __name__ == "__main__":
    main()
