"""Contract tests: the Twilio-compatible test server, and ccctl's traffic through it, conform to
Twilio's OpenAPI description (vendored subset, MIT licence, ccctl/testing/twilio_openapi/)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ccctl.testing.twilio_contract import SPEC, check_request, check_response, check_server_log, enum

ROOT = Path(__file__).resolve().parent.parent.parent
SOURCE = ROOT.parent.parent / "shared" / "twilio" / "twilio_api_v2010.json"
PHONE, SENDER = "+33612345678", "+33757000001"


def test_the_vendored_subset_ships_with_its_licence_and_has_what_tests_use():
    licence = (SPEC.parent / "LICENSE").read_text()
    assert "MIT License" in licence and "Twilio" in licence
    paths = json.loads(SPEC.read_text())["paths"]
    for tail in ("Messages.json", "Messages/{Sid}.json", "Calls.json", "Calls/{Sid}.json", "Queues.json",
                 "Queues/{Sid}.json", "Queues/{QueueSid}/Members.json", "Queues/{QueueSid}/Members/{CallSid}.json",
                 "Recordings/{Sid}.json"):
        assert "/2010-04-01/Accounts/{AccountSid}/" + tail in paths


@pytest.mark.skipif(not SOURCE.exists(), reason="Twilio's full description is not on this machine")
def test_the_subset_is_what_the_script_extracts(tmp_path):
    source = tmp_path / "twilio_api_v2010.json"
    source.write_bytes(SOURCE.read_bytes())
    (tmp_path / "LICENSE").write_bytes((SOURCE.parent / "LICENSE").read_bytes())
    before = SPEC.read_bytes()
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "extract-twilio-openapi.py"), str(source)],
                          capture_output=True, text=True, check=True)
    assert "9 paths" in done.stdout
    assert SPEC.read_bytes() == before, "re-run scripts/extract-twilio-openapi.py and commit the result"


def test_direct_sdk_traffic_conforms(twilio):
    from twilio.base.exceptions import TwilioException

    client = twilio.client()
    sent = client.messages.create(to=PHONE, from_=SENDER, body="Bonjour", status_callback="http://127.0.0.1:9/s?o=1")
    client.messages.create(to=PHONE, messaging_service_sid="MG" + "0" * 32, body="via service")
    assert client.messages(sent.sid).fetch().status == "queued"
    assert len(client.messages.list(to=PHONE, from_=SENDER, page_size=1, limit=5)) == 1
    assert len(client.messages.list(to=PHONE, page_size=1, limit=5)) == 2    # paged
    call = client.calls.create(to=PHONE, from_=SENDER, twiml="<Response><Say>Bonjour</Say></Response>",
                               status_callback="http://127.0.0.1:9/c", status_callback_event=["initiated", "completed"])
    client.calls(call.sid).fetch()
    client.calls(call.sid).update(status="completed")
    client.calls.list(limit=5)
    twilio.rfc9457 = True
    for on, status in (("create", 429), ("list", 503), ("fetch", 401)):
        twilio.fail_next(status, on=on)
    with pytest.raises(TwilioException):
        client.messages.create(to=PHONE, from_=SENDER, body="x")
    with pytest.raises(TwilioException):
        client.messages.list(limit=1)
    with pytest.raises(TwilioException):
        client.messages(sent.sid).fetch()
    twilio.rfc9457 = False
    twilio.number_errors[PHONE] = 21610
    with pytest.raises(TwilioException):
        client.messages.create(to=PHONE, from_=SENDER, body="x")
    with pytest.raises(TwilioException):
        client.messages.create(to="+33600000000", from_=SENDER, body="z" * 1601)
    assert [r.status for r in twilio.requests if r.status >= 400] == [429, 503, 401, 400, 400]
    assert check_server_log(twilio) == []


def test_ccctl_traffic_conforms(sms_env):
    sms_env.twilio.lose_response(count=1)
    sms_env.twilio.fail_next(503, count=1, on="list")
    sms_env.schedule([{"to": PHONE, "body": "one"}, {"to": "+33612345679", "body": "two"}])
    sms_env.dispatch()
    sms_env.ccctl("sms", "sync", "--quiet")
    sms_env.ccctl("status", "-t", "sms-test", "--quiet")
    kinds = {(r.method, r.path.rsplit("/", 1)[-1].split(".")[0][:2]) for r in sms_env.twilio.requests}
    assert {("POST", "Me"), ("GET", "Me"), ("GET", "SM")} <= kinds   # creates, a reconcile list, fetches
    assert check_server_log(sms_env.twilio) == []


def test_the_check_catches_what_twilio_would_not_say_or_accept():
    """The validator is not vacuous: invented fields, unknown statuses, bad dates and undescribed
    parameters are all reported."""
    path = "/2010-04-01/Accounts/AC" + "0" * 32 + "/Messages/SM" + "1" * 32 + ".json"
    good = {"sid": "SM" + "1" * 32, "status": "partially_delivered", "date_created": "Thu, 24 Aug 2023 05:01:45 +0000"}
    assert check_response("GET", path, 200, good) == []
    assert check_response("GET", path, 200, {**good, "invented": 1})
    assert check_response("GET", path, 200, {**good, "status": "lost"})
    assert check_response("GET", path, 200, {**good, "date_created": "2023-08-24"})
    create = path.rsplit("/", 1)[0] + ".json"
    assert check_request("POST", create, {"To": PHONE, "From": SENDER, "Body": "x"}) == []
    assert check_request("POST", create, {"To": PHONE, "From": SENDER, "Body": "x", "IdempotencyKey": "k"})
    assert check_request("GET", create, {"PageSize": "notanumber"})
    assert check_response("POST", create, 400, {"code": 21610, "message": "m", "more_info": "https://x.example/e", "status": 400}) == []
    assert check_response("POST", create, 400, {"code": 21610, "message": "m", "status": 400})   # more_info missing
    assert check_response("POST", create, 429, {"type": "https://www.twilio.com/docs/errors/20429", "title": "t",
                                                "status": 429, "code": 20429}) == []


def test_every_status_the_server_can_set_is_described():
    from ccctl_sms.outbox import STATUS_RANK

    assert set(STATUS_RANK) <= set(enum("message_enum_status"))   # ccctl knows only real statuses
    assert {"partially_delivered", "canceled", "read"} <= set(STATUS_RANK)
    assert {"queued", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled"} == \
        set(enum("call_enum_status"))
