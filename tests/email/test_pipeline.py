"""Parsing in worker processes: same results, same order, a dead worker costs only speed,
and workers never outlive the ingesting process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccctl_email.pipeline import ParsePool, batches, in_process

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")


def messages(count: int) -> list[tuple[str, bytes]]:
    out = []
    for n in range(count):
        if n % 7 == 3:
            raw = b"Subject: no sender\r\n\r\nbody"  # quarantined: Unparseable travels back too
        else:
            raw = (f"From: Client {n} <c{n}@example.fr>\r\nMessage-ID: <m{n}@x>\r\nSubject: n{n}\r\n"
                   f"Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\nContent-Type: text/plain\r\n\r\n"
                   f"text {n}\r\n--b{n}\r\nContent-Type: application/pdf; name=p{n}.pdf\r\n\r\n%PDF {n}\r\n"
                   f"--b{n}--\r\n").encode()
        out.append((f"source-{n}", raw))
    return out


def outcomes(pairs) -> list:
    return [(source, getattr(p, "__dict__", None) or str(p)) for batch, parsed in pairs
            for (source, _raw), p in zip(batch, parsed, strict=True)]


@pytest.mark.parametrize("processes, count", [(2, 53), (3, 50), (2, 3), (1, 0)])
def test_workers_give_what_in_process_parsing_gives_in_order(processes, count):
    mails = messages(count)
    expected = outcomes(in_process(batches(mails, 5)))
    with ParsePool(iter(mails), 5, processes) as pool:
        assert len(pool.workers) == processes
        assert outcomes(pool) == expected


@pytest.mark.parametrize("processes, killed", [(1, 0), (2, 1), (2, 0)])
def test_a_killed_worker_costs_only_speed(processes, killed):
    mails = messages(400)
    expected = outcomes(in_process(batches(mails, 4)))
    with ParsePool(iter(mails), 4, processes) as pool:
        got = iter(pool)
        first = next(got)
        os.kill(pool.workers[killed].pid, signal.SIGKILL)
        pool.workers[killed].join()
        assert outcomes([first, *got]) == expected


def test_workers_leave_when_the_ingesting_process_is_killed(tmp_path: Path):
    script = (
        "import itertools, sys, time\n"
        "from ccctl_email.pipeline import ParsePool\n"
        "endless = itertools.repeat(('x', b'From: a@example.fr\\r\\nSubject: s\\r\\n\\r\\n' + b'x' * 5000))\n"
        "pool = ParsePool(endless, 50, 2).__enter__()  # workers parse ahead, then wait on the writer\n"
        "print(' '.join(str(w.pid) for w in pool.workers), flush=True)\n"
        "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in pids if _alive(pid)]
        time.sleep(0.05)
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie has left
    except FileNotFoundError:
        return False


def test_ingest_with_parsing_processes_stores_what_in_process_ingest_stores(ccctl, apply_tenant, make_mail, session,
                                                                             tmp_path):
    """Two tenants, one Maildir: threads across chunks, duplicates, quarantine; --jobs 2 vs --jobs 0."""
    import mailbox

    from sqlalchemy import select

    from ccctl.db.models import Tenant, WorkItem
    from ccctl_email.models import EmailMessage, QuarantinedMail

    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for n in range(1, 41):
        if n % 9 == 0:
            box.add(b"Subject: nobody\r\n\r\nbroken %d" % n)
        elif n % 4 == 0:
            box.add(make_mail(n, sender=f"c{n % 5}@example.fr", headers=f"In-Reply-To: <m{n - 3}@example.fr>"))
        else:
            box.add(make_mail(n, sender=f"c{n % 5}@example.fr", subject=f"Demande {n}"))
    box.add(make_mail(5, body="the same Message-ID again"))
    outs = {}
    for slug, jobs in (("seq", "0"), ("par", "2")):
        apply_tenant(slug=slug)
        outs[slug] = ccctl.json("email", "ingest", str(tmp_path / "Maildir"), "-t", slug, "--jobs", jobs)
    assert outs["par"]["parse_processes"] == 2 and outs["seq"]["parse_processes"] == 0
    assert {k: v for k, v in outs["par"].items() if k not in ("tenant", "parse_processes")} == \
        {k: v for k, v in outs["seq"].items() if k not in ("tenant", "parse_processes")}
    assert outs["seq"]["quarantined"] == 4 and outs["seq"]["joined"] > 0 and outs["seq"]["duplicate"] == 1

    def stored(slug):
        session.rollback()
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        items = {i.id: i.external_ref for i in session.scalars(select(WorkItem).where(WorkItem.tenant_id == tenant_id))}
        messages = sorted((m.message_id, items[m.item_id], m.matched_by) for m in session.scalars(
            select(EmailMessage).where(EmailMessage.tenant_id == tenant_id)))
        quarantined = sorted(q.reason for q in session.scalars(
            select(QuarantinedMail).where(QuarantinedMail.tenant_id == tenant_id)))
        return messages, quarantined

    assert stored("par") == stored("seq")


def test_chunks_end_at_a_count_or_a_weight():
    mails = [(f"m{n}", b"x" * (10 if n != 3 else 1000)) for n in range(10)]
    assert [len(b) for b in batches(mails, 4, max_bytes=100)] == [4, 4, 2]
    assert [len(b) for b in batches(mails, 6, max_bytes=500)] == [4, 6]  # the heavy 4th message closes a chunk
    assert [m for b in batches(mails, 3, max_bytes=50) for m in b] == mails
