"""The screen pop: `ccctl voice pop --agent marie --follow` shows the card when a call is put through."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from voice_helpers import CALLER, LUMIERE, MARIE
from voice_helpers import make_case


def test_follow_shows_the_card_of_the_call_put_through(phone, db_url):
    case_id, customer_id = make_case(phone.app, "lumiere", CALLER)
    phone.agent("marie", MARIE)
    assert phone.ccctl.json("queue", "next", "--agent", "marie")["id"] == case_id
    follower = subprocess.Popen(
        [sys.executable, "-m", "ccctl", "--database-url", db_url, "voice", "pop", "--agent", "marie", "--follow",
         "--count", "1", "--format", "jsonl"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CCCTL_TENANT": ""})
    try:
        assert "waiting for calls" in follower.stderr.readline()  # it knows where it starts from
        digits = phone.ccctl.json("voice", "case-number", str(case_id), "-t", "lumiere")["case_number"]
        phone.sim.place_call(CALLER, LUMIERE, keys=[digits], answers={MARIE: "answer"})
        out, err = follower.communicate(timeout=60)
    finally:
        follower.kill()
    assert follower.returncode == 0, err
    card = json.loads(out.strip())
    assert (card["tenant"], card["from"], card["customer"]["id"], card["customer"]["name"]) == (
        "lumiere", CALLER, customer_id, "Alice Martin")
    assert card["case"]["id"] == case_id and [i["id"] for i in card["open_items"]][0] == case_id
    assert any(e["channel"] == "voice" for e in card["last_interactions"])
    # Without --follow: the latest card, as text for a terminal.
    text = phone.ccctl("voice", "pop", "--agent", "marie", "--format", "table").stdout
    assert "call from +33611111111" in text and "case keyed: #%d" % case_id in text


def test_no_pop_yet_and_unknown_agent(phone):
    phone.agent("marie", MARIE)
    result = phone.ccctl("voice", "pop", "--agent", "marie")
    assert result.stdout == "" and "no call put through to marie yet" in result.stderr
    assert "no agent 'ghost'" in phone.ccctl("voice", "pop", "--agent", "ghost", code=2).stderr


def test_text_from_outside_cannot_drive_the_terminal():
    from datetime import datetime, timezone

    from ccctl_voice.pop import as_text

    found = {"tenant": "t", "timezone": "Europe/Paris", "at": datetime.now(timezone.utc), "from": "+33611111111",
             "customer": {"id": 1, "name": "Eve\x1b]0;owned\x07\x1b[2J", "contacts": []}, "case": None,
             "open_items": [{"id": 2, "channel": "email", "subject": "hi\x1b[31mred\u202e", "state": "open"}],
             "last_interactions": [], "page": None}
    text = as_text(found)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "Eve]0;owned[2J" in text


def test_server_sent_events_stream_for_a_web_page(phone):
    import httpx

    case_id, _ = make_case(phone.app, "lumiere", CALLER)
    phone.agent("marie", MARIE)
    assert phone.ccctl.json("queue", "next", "--agent", "marie")["id"] == case_id
    url = phone.ccctl.json("voice", "pop", "--agent", "marie", "--sse-url", phone.base, "-t", "lumiere")["url"]
    assert httpx.get(url.replace("token=", "token=x"), timeout=10).status_code == 403
    assert httpx.get(url.replace("/t/lumiere/", "/t/horizon/"), timeout=10).status_code == 403
    digits = phone.ccctl.json("voice", "case-number", str(case_id), "-t", "lumiere")["case_number"]
    with httpx.stream("GET", url, timeout=30) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines).startswith(": ccctl")
        phone.sim.place_call(CALLER, LUMIERE, keys=[digits], answers={MARIE: "answer"})
        event = {}
        for line in lines:
            if not line:
                if event:
                    break
                continue
            key, _, value = line.partition(": ")
            event[key] = value
    card = json.loads(event["data"])
    assert event["event"] == "pop" and event["id"] == str(card["pop"]) and card["case"]["id"] == case_id


def test_sse_url_bad_input(phone):
    phone.agent("marie", MARIE)
    assert "base URL" in phone.ccctl("voice", "pop", "--agent", "marie", "--sse-url", "cc.example", "-t", "lumiere",
                                     code=2).stderr
    assert "does not serve tenant horizon" in phone.ccctl("voice", "pop", "--agent", "marie", "--sse-url",
                                                          phone.base, "-t", "horizon", code=2).stderr
