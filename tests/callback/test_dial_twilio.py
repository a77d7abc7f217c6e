"""Dialling through Twilio (the real SDK against the Twilio-compatible test server) and the signed status webhook."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from callback_helpers import write_tenant
from support.live_server import running_server

AGENT_PHONE = "+33611111111"
CALLER_ID = "+33180000000"


@pytest.fixture
def twilio(twilio_server):
    return twilio_server


@pytest.fixture
def dialling(ccctl, db_url, tmp_path, twilio):
    """(runner, base URL of a real `ccctl serve`, Twilio server) with tenant 'rappel' dialling through it."""
    env = {"CB_TWILIO_TOKEN": twilio.auth_token}
    with running_server(db_url, env=env) as base:
        extra = (f"    public_url: {base}\n    agent_phones: {{marie: '{AGENT_PHONE}'}}\n"
                 f"    twilio: {{account_sid: {twilio.account_sid}, auth_token: '${{CB_TWILIO_TOKEN}}', "
                 f"caller_id: '{CALLER_ID}', api_url: '{twilio.url}'}}\n")
        ccctl("tenant", "apply", "-f", str(write_tenant(tmp_path, "rappel", extra=extra)))

        def run(*args, code=0):
            return ccctl(*args, env=env, code=code)

        yield run, base, twilio


def book(run, phone="06 22 33 44 55"):
    return json.loads(run("callback", "request", "-t", "rappel", "--phone", phone, "--name", "Hugo",
                          "--reason", "Remboursement", "--now", "--format", "json").stdout)


def dial(run, item):
    return json.loads(run("callback", "dial", str(item), "-t", "rappel", "--agent", "marie",
                          "--format", "json").stdout)


def customer_leg(twiml: str) -> ET.Element:
    root = ET.fromstring(twiml)
    dial_el = root.find("Dial")
    assert dial_el is not None and dial_el.get("callerId") == CALLER_ID
    return dial_el.find("Number")


def test_dial_rings_the_agent_and_bridges_the_customer(dialling):
    run, base, twilio = dialling
    request = book(run)
    placed = dial(run, request["item"])
    call = twilio.calls[placed["call_sid"]]
    params = twilio.call_params[placed["call_sid"]]
    assert call["to"] == AGENT_PHONE and call["from"] == CALLER_ID
    number = customer_leg(params["Twiml"])
    assert number.text == "+33622334455"
    status_url = number.get("statusCallback")
    assert status_url == f"{base}/t/rappel/callback/twilio/status/1?leg=customer"
    assert "Remboursement" in ET.fromstring(params["Twiml"]).find("Say").text
    assert params["StatusCallback"].endswith("?leg=agent")

    leg = {"AccountSid": twilio.account_sid, "CallSid": "CA" + "1" * 32, "ParentCallSid": placed["call_sid"],
           "From": CALLER_ID, "To": "+33622334455", "Direction": "outbound-dial"}
    assert twilio.post_webhook(status_url, {**leg, "CallStatus": "ringing"})[0] == 200
    forged = twilio.post_webhook(status_url, {**leg, "CallStatus": "completed"}, signature="forged")
    assert forged[0] == 403
    pop = run("callback", "show", str(request["item"]), "-t", "rappel", "--format", "json")
    assert json.loads(pop.stdout)["attempts"][0]["status"] == "ringing"  # the forged "completed" changed nothing

    assert twilio.post_webhook(status_url, {**leg, "CallStatus": "completed", "CallDuration": "95"})[0] == 200
    replay = twilio.post_webhook(status_url, {**leg, "CallStatus": "completed", "CallDuration": "95"})
    assert replay[0] == 403
    pop = json.loads(run("callback", "show", str(request["item"]), "-t", "rappel", "--format", "json").stdout)
    assert pop["state"] == "reached" and pop["item_state"] == "closed"
    assert pop["attempts"][0]["outcome"] == "reached" and pop["attempts"][0]["mode"] == "twilio"
    assert any(e["summary"] == "Call-back attempt 1 by marie: reached" for e in pop["timeline"])


def test_customer_no_answer_reschedules_and_agent_miss_is_noted(dialling):
    run, _base, twilio = dialling
    request = book(run)
    placed = dial(run, request["item"])
    status_url = customer_leg(twilio.call_params[placed["call_sid"]]["Twiml"]).get("statusCallback")
    leg = {"AccountSid": twilio.account_sid, "CallSid": "CA" + "2" * 32, "To": "+33622334455"}
    assert twilio.post_webhook(status_url, {**leg, "CallStatus": "no-answer"})[0] == 200
    pop = json.loads(run("callback", "show", str(request["item"]), "-t", "rappel", "--format", "json").stdout)
    assert pop["state"] == "scheduled" and pop["item_state"] == "open"
    assert pop["attempts"][0]["outcome"] == "no-answer"

    second = dial(run, request["item"])
    assert second["attempt"] == 2
    twilio.set_call_status(second["call_sid"], "no-answer")  # the agent did not pick up
    pop = json.loads(run("callback", "show", str(request["item"]), "-t", "rappel", "--format", "json").stdout)
    assert pop["attempts"][1]["status"] == "agent-no-answer" and pop["attempts"][1]["outcome"] is None


def test_twilio_refusal_is_a_clear_error_and_leaves_no_attempt(dialling):
    run, _base, twilio = dialling
    request = book(run)
    twilio.number_errors[AGENT_PHONE] = 21211
    refused = run("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "marie", code=1)
    assert "Twilio refused the call to agent marie" in refused.stderr and "error 21211" in refused.stderr
    pop = json.loads(run("callback", "show", str(request["item"]), "-t", "rappel", "--format", "json").stdout)
    assert pop["attempts"] == []
    unknown = run("callback", "dial", str(request["item"]), "-t", "rappel", "--agent", "paul", code=2)
    assert "no phone for agent 'paul'" in unknown.stderr
