"""The Twilio-compatible test server answers the real SDK as Twilio does."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


@pytest.fixture
def server(twilio_server):
    return twilio_server


def test_create_fetch_and_list_messages(server):
    client = server.client()
    msg = client.messages.create(to="+33612345678", from_="+33700000001", body="Bonjour",
                                 status_callback="http://127.0.0.1:9/cb?o=1")
    assert msg.sid.startswith("SM") and msg.status == "queued" and msg.to == "+33612345678"
    assert client.messages(msg.sid).fetch().body == "Bonjour"
    other = client.messages.create(to="+33612345679", messaging_service_sid="MG" + "0" * 32, body="Hi")
    assert other.status == "accepted"
    listed = client.messages.list(to="+33612345678")
    assert [m.sid for m in listed] == [msg.sid]
    assert len(client.messages.list(page_size=1)) == 2  # follows next_page_uri
    # Not sent yet: a DateSent filter does not match, as on Twilio.
    assert client.messages.list(to="+33612345678", date_sent_after=msg.date_created) == []
    server.set_message_status(msg.sid, "delivered", callback=False)
    assert [m.sid for m in client.messages.list(date_sent_after=msg.date_created)] == [msg.sid]
    assert server.message_params[msg.sid]["StatusCallback"] == "http://127.0.0.1:9/cb?o=1"


@pytest.mark.parametrize("code,status", [(21211, 400), (21610, 400), (21614, 400)])
def test_per_number_errors(server, code, status):
    server.number_errors["+33612345678"] = code
    with pytest.raises(TwilioRestException) as err:
        server.client().messages.create(to="+33612345678", from_="+33700000001", body="x")
    assert (err.value.status, err.value.code) == (status, code)
    assert server.created_messages() == []


def test_bad_input_is_refused(server):
    client = server.client()
    for kwargs, code in [({"to": "0612", "from_": "+33700000001", "body": "x"}, 21211),
                         ({"to": "+33612345678", "body": "x"}, 21603),
                         ({"to": "+33612345678", "from_": "+33700000001", "body": ""}, 21602)]:
        with pytest.raises(TwilioRestException) as err:
            client.messages.create(**kwargs)
        assert err.value.code == code
    with pytest.raises(TwilioRestException) as err:
        client.messages("SM" + "0" * 32).fetch()
    assert err.value.status == 404


def test_transient_failures_then_success(server):
    server.fail_next(429, count=1)
    server.fail_next(503, count=1)
    client = server.client()
    for status, code in [(429, 20429), (503, 20503)]:
        with pytest.raises(TwilioRestException) as err:
            client.messages.create(to="+33612345678", from_="+33700000001", body="x")
        assert (err.value.status, err.value.code) == (status, code)
    assert client.messages.create(to="+33612345678", from_="+33700000001", body="x").sid
    assert len(server.created_messages()) == 1 and len(server.create_requests()) == 3


def test_lost_response_still_stores_the_message(server):
    server.lose_response()
    with pytest.raises(Exception):
        server.client().messages.create(to="+33612345678", from_="+33700000001", body="x")
    assert len(server.created_messages()) == 1


def test_basic_auth_is_checked(server):
    bad = Client(server.account_sid, "wrong", http_client=TwilioHttpClient())
    bad.api.base_url = server.url
    with pytest.raises(TwilioRestException) as err:
        bad.messages.create(to="+33612345678", from_="+33700000001", body="x")
    assert (err.value.status, err.value.code) == (401, 20003)
    assert server.created_messages() == []


def test_calls_create_fetch_update(server):
    client = server.client()
    call = client.calls.create(to="+33612345678", from_="+33700000001", url="http://127.0.0.1:9/twiml",
                               status_callback="http://127.0.0.1:9/status",
                               status_callback_event=["initiated", "completed"])
    assert call.sid.startswith("CA") and call.status == "queued"
    assert server.call_params[call.sid]["StatusCallbackEvent"] == ["initiated", "completed"]
    assert client.calls(call.sid).fetch().to == "+33612345678"
    assert [c.sid for c in client.calls.list(to="+33612345678")] == [call.sid]
    server.set_call_status(call.sid, "completed", duration=42, callback=False)
    assert client.calls(call.sid).fetch().duration == "42"
    with pytest.raises(TwilioRestException) as err:
        client.calls.create(to="+33612345678", from_="+33700000001")
    assert err.value.code == 21205


def test_latency_is_applied(server):
    server.latency = 0.05
    server.client().messages.list()
    assert server.requests[-1].status == 200
