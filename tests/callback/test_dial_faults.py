"""`callback dial` when Twilio misbehaves (issue #15, findings 2 and 3): a lost Calls-create answer,
a request that hangs, status callbacks matched by CallSid/ParentCallSid, child call legs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from test_dial_twilio import AGENT_PHONE, book, dialling, twilio  # noqa: F401 - shared fixtures


def show(run, item) -> dict:
    return json.loads(run("callback", "show", str(item), "-t", "rappel", "--format", "json").stdout)


def test_a_lost_answer_keeps_the_attempt_and_its_callbacks_settle_it_alone(dialling):
    run, _base, twilio = dialling
    first, second = book(run, "06 22 33 44 55"), book(run, "06 99 88 77 66")
    twilio.lose_response(count=1, to=AGENT_PHONE)
    lost = run("callback", "dial", str(first["item"]), "-t", "rappel", "--agent", "marie", code=1)
    assert "answer was lost" in lost.stderr and "Traceback" not in lost.stderr
    [orphan_sid] = list(twilio.calls)                   # Twilio did place it
    kept = show(run, first["item"])["attempts"]
    assert [(a["attempt"], a["status"], a["call_sid"]) for a in kept] == [(1, "unknown", None)]

    placed = json.loads(run("callback", "dial", str(second["item"]), "-t", "rappel", "--agent", "marie",
                            "--format", "json").stdout)
    assert placed["call_sid"] != orphan_sid

    # The orphaned call goes on: the agent answers, the customer leg (a child call) completes.
    twilio.set_call_status(orphan_sid, "in-progress")
    child = twilio.bridge(orphan_sid)
    assert twilio.calls[child]["parent_call_sid"] == orphan_sid
    assert twilio.set_call_status(child, "completed", duration=65)[0] == 200
    settled = show(run, first["item"])
    assert settled["state"] == "reached" and settled["attempts"][0]["call_sid"] == orphan_sid
    assert settled["attempts"][0]["duration_seconds"] == 65
    other = show(run, second["item"])
    assert other["state"] == "scheduled" and other["attempts"][0]["outcome"] is None
    assert twilio.contract_problems() == []   # ccctl's calls, as Twilio's description has them


def test_a_callback_for_another_call_settles_nothing_here(dialling):
    run, _base, twilio = dialling
    request = book(run)
    placed = json.loads(run("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "marie",
                            "--format", "json").stdout)
    status_url = twilio.call_params[placed["call_sid"]]["StatusCallback"].replace("leg=agent", "leg=customer")
    stranger = {"AccountSid": twilio.account_sid, "CallSid": "CA" + "7" * 32, "ParentCallSid": "CA" + "8" * 32,
                "CallStatus": "completed", "CallDuration": "30"}
    assert twilio.post_webhook(status_url, stranger)[0] == 200   # answered, so Twilio does not retry it
    assert show(run, request["item"])["state"] == "scheduled"
    child = twilio.bridge(placed["call_sid"])
    twilio.set_call_status(child, "completed", duration=30)
    assert show(run, request["item"])["state"] == "reached"


def test_a_refused_or_unreachable_twilio_is_a_clear_error_without_traceback(dialling):
    run, _base, twilio = dialling
    request = book(run)
    twilio.fail_next(401, to=AGENT_PHONE, rfc9457=True)
    refused = run("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "marie", code=1)
    assert "Twilio refused the call" in refused.stderr and "20003" in refused.stderr
    twilio.down()
    down = run("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "marie", code=1)
    assert "Traceback" not in down.stderr and "Twilio refused the call" in down.stderr
    twilio.up()
    assert show(run, request["item"])["attempts"] == []   # neither call rang: no attempt counted


def test_no_write_lock_is_held_while_twilio_takes_its_time(dialling, db_url):
    run, _base, twilio = dialling
    first, second = book(run, "06 22 33 44 55"), book(run, "06 99 88 77 66")
    twilio.hold_creates.clear()
    env = {**os.environ, "CB_TWILIO_TOKEN": twilio.auth_token, "CCCTL_TENANT": ""}
    dialer = subprocess.Popen([sys.executable, "-m", "ccctl", "--database-url", db_url, "callback", "dial",
                               str(first["item"]), "-t", "rappel", "--agent", "marie", "--format", "json"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while twilio.held == 0 and dialer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert twilio.held == 1, dialer.stderr.read() if dialer.poll() is not None else "never reached Twilio"
        if db_url.startswith("sqlite"):
            import sqlite3

            probe = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0)
            probe.execute("BEGIN IMMEDIATE")   # 'database is locked' if the dialler held a write transaction
            probe.rollback()
            probe.close()
        # Other commands write meanwhile (an opt-out, a webhook, another booking) without waiting.
        run("callback", "request", "-t", "rappel", "--phone", "06 55 44 33 22", "--now")
        assert twilio.held == 1
    finally:
        twilio.hold_creates.set()
        out, err = dialer.communicate(timeout=60)
    assert dialer.returncode == 0, err
    assert json.loads(out)["call_sid"] in twilio.calls
    assert show(run, second["item"])["attempts"] == []
