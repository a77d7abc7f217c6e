"""A captured STOP sent again after START, with its fields reordered or re-encoded, is refused
(403): the replay key is what Twilio's signature covers, not the request's bytes."""

from __future__ import annotations

import urllib.parse

import httpx
import pytest
from twilio.request_validator import RequestValidator

PHONE = "+33612345678"


@pytest.fixture
def served(sms_env, app):
    from support.live_server import threaded_server

    from ccctl.web.app import create_web_app

    with threaded_server(create_web_app(app)) as base:
        sms_env.apply()
        sms_env.base = base
        yield sms_env


def opted_out(env) -> list[str]:
    return [o["number"] for o in env.ccctl.json("sms", "opt-outs", "-t", "sms-test")]


@pytest.mark.parametrize("reencode", [
    lambda params: urllib.parse.urlencode(dict(reversed(list(params.items())))),               # reordered
    lambda params: urllib.parse.urlencode(params, quote_via=urllib.parse.quote).replace("%2B", "%2b"),  # re-encoded
    lambda params: urllib.parse.urlencode(list(params.items()) + [("Body", params["Body"])]),  # Body twice
])
def test_a_replayed_stop_cannot_opt_the_number_out_again(served, reencode):
    url = f"{served.base}/t/sms-test/sms/inbound"
    sid = "SM" + "5" * 32
    stop = {"AccountSid": served.twilio.account_sid, "Body": "STOP", "From": PHONE, "To": "+33757000001",
            "MessageSid": sid, "SmsStatus": "received"}
    assert served.twilio.post_webhook(url, stop)[0] == 200
    assert opted_out(served) == [PHONE]
    assert served.twilio.inbound_sms(url, PHONE, "+33757000001", "START")[0] == 200
    assert opted_out(served) == []
    signature = RequestValidator(served.twilio.auth_token).compute_signature(url, stop)
    replay = httpx.post(url, content=reencode(stop).encode(), headers={
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})
    assert replay.status_code == 403 and "replayed" in replay.text
    assert opted_out(served) == []
