"""Start-up cost of the ccctl command line, as ratios to ``python -c "import click"``.

Measures, in one run and interleaved so that machine noise hits every command alike:
  * ``python -c "import click"`` (the baseline: a Python process that loads click),
  * ``ccctl --help``              (target: at most 2.0 times the baseline),
  * ``ccctl customer find PHONE`` against a database of 100,000 customers.
Prints the median wall time of each and its ratio to the baseline.

Usage:
  python bench/startup.py                       # 100,000 customers, SQLite cached in bench/out/
  python bench/startup.py --runs 41 --customers 100000
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


if __name__ == "__main__":
    main()
