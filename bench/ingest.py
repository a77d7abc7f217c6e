"""Ingest a generated Maildir and compare with merely parsing the same files.

    python3 bench/ingest.py                 # 10,000 messages, SQLite in a temp dir
    python3 bench/ingest.py --messages 2000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Prints messages/s for `ccctl email ingest` (run as a subprocess, the way an operator runs
it, start-up and migrations-check included, with its default number of MIME-parsing worker
processes, printed) and for parsing every file with the stdlib `email` package in one
process, measured in the same run, and the ratio between them.
Targets: >= 1,000 msg/s on SQLite and >= 0.4 of the parse-only rate.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from ccctl.db.scratch import scratch_schema

TENANT = """\
tenant: bench
name: Bench
queues:
  - {name: general, sla: 24h}
plugins:
  email:
    enabled: true
    sla: 8h
"""

WORDS = ("réservation annulation remboursement vol hôtel bagage retard facture séjour "
         "question merci bonjour madame monsieur urgent dossier").split()


def generate(folder: Path, count: int, seed: int = 7) -> None:
    """A Maildir of ``count`` messages: 70 % new threads, 30 % replies; some HTML, Latin-1, attachments."""
    rng = random.Random(seed)
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    sent: list[tuple[str, str]] = []
    for n in range(count):
        who = rng.randrange(count // 5 or 1)
        msg = EmailMessage(policy=SMTP)
        msg["From"] = f"Client {who} <client{who}@example.fr>"
        msg["To"] = "support@bench.example"
        msg["Message-ID"] = f"<bench-{n}@example.fr>"
        msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0100"
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 200)))
        if sent and rng.random() < 0.3:
            parent_id, subject = rng.choice(sent)
            msg["Subject"] = f"Re: {subject}"
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
        else:
            subject = f"Demande {n} : {rng.choice(WORDS)}"
            msg["Subject"] = subject
            sent.append((msg["Message-ID"], subject))
        kind = rng.random()
        if kind < 0.15:
            msg.set_content(body, charset="iso-8859-1")
        else:
            msg.set_content(body)
        if 0.15 <= kind < 0.35:
            msg.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
        if kind > 0.9:
            msg.add_attachment(rng.randbytes(2000), maintype="application", subtype="pdf", filename="piece.pdf")
        (folder / "new" / f"{n:06d}.bench:2,").write_bytes(msg.as_bytes())


def parse_only(folder: Path) -> float:
    files = sorted((folder / "new").iterdir())
    start = time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            email.message_from_bytes(handle.read())
    return len(files) / (time.perf_counter() - start)


def mime_parse_only(folder: Path) -> float:
    """The rate of ccctl's own MIME reading (decoding, text, attachments), in one process."""
    from ccctl_email.mime import Unparseable, parse

    files = sorted((folder / "new").iterdir())
    start = time.perf_counter()
    for path in files:
        with open(path, "rb") as handle:
            try:
                parse(handle.read())
            except Unparseable:
                pass
    return len(files) / (time.perf_counter() - start)


def ccctl(*args: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "ccctl", *args], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"ccctl {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ccctl-bench-") as tmp:
        tmp = Path(tmp)
        maildir = tmp / "Maildir"
        generate(maildir, args.messages)
        url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
        private = url.startswith("postgresql")
        with scratch_schema(url, "bench_ingest") if private else contextlib.nullcontext(url) as url:
            env = {**os.environ, "CCCTL_DATABASE_URL": url, "CCCTL_TENANT": "bench"}
            (tmp / "bench.yaml").write_text(TENANT)
            ccctl("tenant", "apply", "-f", str(tmp / "bench.yaml"), env=env)
            before = parse_only(maildir)  # also warms the page cache for the ingest
            start = time.perf_counter()
            out = ccctl("email", "ingest", str(maildir), "--no-ack", "--format", "json", env=env)
            ingest_rate = args.messages / (time.perf_counter() - start)
            # Parsing measured on both sides of the ingest: a busy machine affects both alike.
            parse_rate = (before + parse_only(maildir)) / 2
            mime_rate = mime_parse_only(maildir)
            result = json.loads(out)
    print(f"messages:         {args.messages}  ({result['new']} new threads, {result['joined']} replies, "
          f"{result['quarantined']} quarantined)")
    print(f"database:         {url.split('://')[0]}{' (private schema, dropped)' if private else ''}")
    print(f"parse only:       {parse_rate:,.0f} msg/s  (email.message_from_bytes on every file)")
    print(f"ccctl ingest:     {ingest_rate:,.0f} msg/s  (target >= 1,000 on SQLite; processes: 1 storing + "
          f"{result['parse_processes']} parsing MIME, on {os.cpu_count()} CPUs)")
    print(f"ratio:            {ingest_rate / parse_rate:.2f}  (target >= 0.4)")
    print(f"ccctl MIME parse: {mime_rate:,.0f} msg/s  (ccctl_email.mime.parse alone, one process, no database, "
          f"no start-up: ratio {mime_rate / parse_rate:.2f})")


if __name__ == "__main__":
    main()
