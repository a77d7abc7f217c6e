"""The outbox under concurrency: two runs sending at the same moment (real processes, real
SMTP server) send each mail exactly once; a run killed mid-send is recovered after the lease."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ccctl.db.models import Interaction, utcnow
from ccctl_email.models import OutboundMail

ACKS = """
ack:
  enabled: true
  max_per_sender_per_hour: 5
"""
MAILS = 30


def _queue_acks(ccctl, apply_tenant, make_mail, tmp_path, port: int) -> None:
    """MAILS acknowledgements queued while the SMTP server is down (the ingest exits 1, the acks wait)."""
    apply_tenant(smtp_port=port, ack=ACKS)
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(1, MAILS + 1):
        (folder / f"{n}.eml").write_bytes(make_mail(n, sender=f"c{n}@example.fr"))
    ccctl("email", "ingest", str(folder), "-t", "voyages-lumiere", code=1)


def _send_process(db_url: str, command: str = "send") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ccctl", "--database-url", db_url, "email", command,
                             "-t", "voyages-lumiere", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "CCCTL_TENANT": ""})


@pytest.mark.slow  # real processes
def test_two_runs_sending_at_once_send_each_mail_exactly_once(ccctl, db_url, apply_tenant, make_mail, smtp,
                                                               start_smtp, tmp_path, app):
    port = smtp.port
    smtp.stop()
    _queue_acks(ccctl, apply_tenant, make_mail, tmp_path, port)
    assert Counter(o["status"] for o in ccctl.json("email", "outbox", "-t", "voyages-lumiere",
                                                   "--limit", "100")) == {"queued": MAILS}
    server = start_smtp(port)
    original = server.handle_DATA

    async def slow_data(*args):  # a slow server: the two runs' sending overlaps
        await asyncio.sleep(0.05)
        return await original(*args)

    server.handle_DATA = slow_data
    runs = [_send_process(db_url), _send_process(db_url), _send_process(db_url)]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, err  # a run finding the mail claimed by another is no failure
        assert "Traceback" not in err and "locked" not in err, err
    assert sum(json.loads(out)["sent"] for out, _err in outputs) == MAILS
    received = Counter(m["message"]["Message-ID"] for m in server.messages)
    assert len(received) == MAILS and set(received.values()) == {1}, received.most_common(3)
    with app.session() as session:
        rows = session.scalars(select(OutboundMail)).all()
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
        assert {r.message_id for r in rows} == set(received)
        sent = session.scalars(select(Interaction.summary).where(Interaction.channel == "email",
                                                                 Interaction.direction == "out")).all()
        assert len(sent) == MAILS  # one history line per mail, not one per run


def test_a_run_killed_mid_send_is_recovered_after_the_lease(ccctl, apply_tenant, make_mail, smtp, start_smtp,
                                                            tmp_path, app):
    port = smtp.port
    smtp.stop()
    _queue_acks(ccctl, apply_tenant, make_mail, tmp_path, port)
    with app.session() as session:
        ids = list(session.scalars(select(OutboundMail.id).order_by(OutboundMail.id)))
        # A run on another host died after claiming three mails: one 20 min ago, two a minute ago.
        session.execute(update(OutboundMail).where(OutboundMail.id.in_(ids[:3])).values(
            status="sending", claimed_by="other-host:4242:dead", claimed_at=utcnow() - timedelta(minutes=1)))
        session.execute(update(OutboundMail).where(OutboundMail.id == ids[0]).values(
            claimed_at=utcnow() - timedelta(minutes=20)))
        session.commit()
    status = {c["check"]: c for c in ccctl.json("status", "-t", "voyages-lumiere", "--no-probe", code=1)}
    assert status["mail stuck"]["status"] == "PROBLEM" and status["mail stuck"]["stuck"] == 1
    assert "1 mail(s) 'sending' for over 15 min" in status["mail stuck"]["detail"]
    server = start_smtp(port)
    # The fresh claims are left to their (maybe living) run; the stale one is queued again and sent.
    sent = ccctl.json("email", "send", "-t", "voyages-lumiere")
    assert (sent["sent"], sent["recovered"], sent["failed"]) == (MAILS - 2, 1, 0)
    assert len(server.messages) == MAILS - 2
    outbox = {o["id"]: o for o in ccctl.json("email", "outbox", "-t", "voyages-lumiere", "--limit", "100")}
    assert [outbox[i]["status"] for i in ids[:3]] == ["sent", "sending", "sending"]
    assert "recovered from other-host:4242:dead" in outbox[ids[0]]["error"]
    assert "may have been sent already" in outbox[ids[0]]["error"]
    status = {c["check"]: c for c in ccctl.json("status", "-t", "voyages-lumiere", "--no-probe")}
    assert (status["mail stuck"]["status"], status["mail stuck"]["detail"]) == ("ok", "none")


def test_a_connection_lost_midway_gives_the_unsent_claims_back(ccctl, apply_tenant, make_mail, smtp, start_smtp,
                                                               tmp_path, app):
    port = smtp.port
    smtp.stop()
    _queue_acks(ccctl, apply_tenant, make_mail, tmp_path, port)
    server = start_smtp(port)
    original = server.handle_DATA

    async def drop_on_second(srv, session, envelope):  # the server goes away during the second mail
        if server.messages:
            srv.transport.close()
            return "421 closing"
        return await original(srv, session, envelope)

    server.handle_DATA = drop_on_second
    result = ccctl("email", "send", "-t", "voyages-lumiere", code=1)
    assert "connection lost after 1 sent" in result.stderr
    with app.session() as session:
        rows = session.scalars(select(OutboundMail).order_by(OutboundMail.id)).all()
        assert [(r.status, r.attempts) for r in rows[:3]] == [("sent", 1), ("queued", 1), ("queued", 0)]
        assert {r.status for r in rows[1:]} == {"queued"}  # none left 'sending' for 15 minutes
    server.handle_DATA = original
    assert ccctl.json("email", "send", "-t", "voyages-lumiere")["sent"] == MAILS - 1
