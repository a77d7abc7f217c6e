"""The contract check itself catches what it should (else a clean result would prove nothing)."""

from __future__ import annotations

from support.openapi_check import check_request, check_response

MEMBER = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Queues/QU" + "b" * 32 + "/Members/CA" + "c" * 32 + ".json"
GOOD_MEMBER = {"call_sid": "CA" + "c" * 32, "date_enqueued": "Thu, 06 Dec 2018 18:42:47 +0000", "position": 1,
               "queue_sid": "QU" + "b" * 32, "uri": MEMBER, "wait_time": 3}


def test_good_requests_and_answers_pass():
    assert check_request("POST", MEMBER, {"Url": "https://x.example/connect", "Method": "POST"}) == []
    assert check_request("GET", MEMBER.replace("/CA" + "c" * 32, ""), {"PageSize": "50"}) == []
    assert check_response("POST", MEMBER, 200, GOOD_MEMBER) == []


def test_bad_requests_are_caught():
    assert "missing required field Url" in check_request("POST", MEMBER, {"Method": "POST"})[0]
    assert "unknown field Twiml" in check_request("POST", MEMBER, {"Url": "https://x", "Twiml": "<Response/>"})[0]
    assert "not one of" in check_request("POST", MEMBER, {"Url": "https://x", "Method": "PUT"})[0]
    assert "breaks" in check_request("POST", MEMBER.replace("QU" + "b" * 32, "QUnope"), {"Url": "https://x"})[0]
    assert "not in Twilio's description" in check_request("DELETE", MEMBER, {})[0]


def test_bad_answers_are_caught():
    assert check_response("POST", MEMBER, 200, {**GOOD_MEMBER, "position": "1"})
    assert check_response("POST", MEMBER, 200, {**GOOD_MEMBER, "invented": True})
    assert check_response("POST", MEMBER, 201, GOOD_MEMBER)
