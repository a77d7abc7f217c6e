"""The contract check the call simulator relies on (ccctl.testing.twilio_contract) catches what it
should on Queue Members and Recordings (else a clean ``sim.contract_problems()`` would prove nothing)."""

from __future__ import annotations

from ccctl.testing.twilio_contract import check_request, check_response

ACCOUNT = "/2010-04-01/Accounts/AC" + "a" * 32
MEMBER = ACCOUNT + "/Queues/QU" + "b" * 32 + "/Members/CA" + "c" * 32 + ".json"
RECORDING = ACCOUNT + "/Recordings/RE" + "d" * 32 + ".json"
GOOD_MEMBER = {"call_sid": "CA" + "c" * 32, "date_enqueued": "Thu, 06 Dec 2018 18:42:47 +0000", "position": 1,
               "queue_sid": "QU" + "b" * 32, "uri": MEMBER, "wait_time": 3}


def test_good_requests_and_answers_pass():
    assert check_request("POST", MEMBER, {"Url": "https://x.example/connect", "Method": "POST"}) == []
    assert check_request("GET", MEMBER.replace("/CA" + "c" * 32, ""), {"PageSize": "50"}) == []
    assert check_response("POST", MEMBER, 200, GOOD_MEMBER) == []
    assert check_request("DELETE", RECORDING, {}) == []
    assert check_response("DELETE", RECORDING, 204, {}) == []


def test_bad_requests_are_caught():
    assert "'Url' is a required property" in check_request("POST", MEMBER, {"Method": "POST"})[0]
    assert "'Twiml' was unexpected" in check_request("POST", MEMBER, {"Url": "https://x.example/c", "Twiml": "<Response/>"})[0]
    assert "is not one of ['GET', 'POST']" in check_request("POST", MEMBER, {"Url": "https://x.example/c", "Method": "PUT"})[0]
    assert "QueueSid: 'QUnope'" in check_request("POST", MEMBER.replace("QU" + "b" * 32, "QUnope"),
                                                 {"Url": "https://x.example/c"})[0]
    assert "Sid: 'REnope'" in check_request("DELETE", RECORDING.replace("RE" + "d" * 32, "REnope"), {})[0]
    assert "no such operation in Twilio's description" in check_request("DELETE", MEMBER, {})[0]


def test_bad_answers_are_caught():
    assert check_response("POST", MEMBER, 200, {**GOOD_MEMBER, "position": "1"})
    assert check_response("POST", MEMBER, 200, {**GOOD_MEMBER, "invented": True})
    assert check_response("POST", MEMBER, 201, GOOD_MEMBER)
    assert check_response("DELETE", RECORDING, 204, {"sid": "RE" + "d" * 32})   # a 204 says nothing
