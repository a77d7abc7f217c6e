"""Twilio behaviours the first test server hid (issue #15, findings 1, 4, 5, 6, 7, 8), each through
the real SDK or the real web app against the Twilio-compatible server."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

PHONE = "+33612345678"


def test_401_while_reconciling_leaves_the_row_pending_and_exits_1(sms_env):
    """Finding 1: the SDK raises a plain TwilioException for a list page; a 401 there is a refusal
    of the credentials, not a reason to retry and then fail a message Twilio may have accepted."""
    sms_env.twilio.lose_response(count=1)               # first create: accepted, answer lost
    sms_env.twilio.fail_next(401, count=50, on="list")  # then the token is revoked
    sms_env.schedule([{"to": PHONE, "body": "hello"}])
    result = sms_env.ccctl("sms", "dispatch", "--format", "json", "--linger", "2", code=1)
    assert "tenant sms-test" in result.stderr and "20003" in result.stderr
    [row] = sms_env.outbox()
    assert row["state"] == "pending" and row["sid"] is None
    assert len(sms_env.twilio.create_requests()) == 1  # never sent twice while it could not look


@pytest.mark.parametrize("rfc9457", [False, True])
def test_21610_opts_out_in_either_error_shape(sms_env, rfc9457):
    """Finding 7: an RFC 9457 problem body (TwilioServiceException) is classified like the legacy one."""
    sms_env.twilio.rfc9457 = rfc9457
    sms_env.twilio.number_errors[PHONE] = 21610
    sms_env.schedule([{"to": PHONE, "body": "promo"}])
    summary = sms_env.dispatch(code=1)
    assert (summary["failed"], summary["retried"]) == (1, 0)
    assert len(sms_env.twilio.create_requests()) == 1
    assert [o["number"] for o in sms_env.ccctl.json("sms", "opt-outs", "-t", "sms-test")] == [PHONE]


def test_rfc9457_429_is_retried_and_sent_once(sms_env):
    sms_env.twilio.fail_next(429, count=2, rfc9457=True)
    sms_env.schedule([{"to": PHONE, "body": "hello"}])
    summary = sms_env.dispatch()
    assert (summary["sent"], summary["retried"]) == (1, 2)
    assert len(sms_env.twilio.created_messages()) == 1


def test_body_over_1600_characters_is_refused_when_queued(sms_env):
    """Finding 4: refused at send/schedule time (exit 2), not at dispatch."""
    result = sms_env.ccctl("sms", "send", PHONE, "--body", "x" * 1601, code=2)
    assert "1,601 characters" in result.stderr and "1,600" in result.stderr
    bad = sms_env.schedule([{"to": PHONE, "body": "ok"}, {"to": PHONE, "body": "é" * 1700}], code=2)
    assert "<stdin>:2" in bad.stderr
    assert sms_env.outbox() == [] and sms_env.twilio.requests == []
    sms_env.ccctl("sms", "send", PHONE, "--body", "y" * 1600)  # the limit itself is fine
    assert [len(m["body"]) for m in sms_env.twilio.created_messages()] == [1600]


def test_the_test_server_refuses_long_bodies_like_twilio(twilio):
    from twilio.base.exceptions import TwilioRestException

    with pytest.raises(TwilioRestException) as caught:
        twilio.client().messages.create(to=PHONE, from_="+33757000001", body="z" * 1601)
    assert caught.value.code == 21617


def test_partially_delivered_is_final_and_no_longer_polled(sms_env):
    """Finding 5: a status Twilio documents; unknown to ccctl it was polled forever."""
    sms_env.ccctl("sms", "send", PHONE, "--body", "bonjour")
    [row] = sms_env.outbox()
    sms_env.twilio.set_message_status(row["sid"], "partially_delivered", callback=False)
    first = sms_env.ccctl.json("sms", "sync", "-t", "sms-test")
    assert (first["checked"], first["changed"]) == (1, 1)
    assert sms_env.outbox()[0]["status"] == "partially_delivered"
    assert sms_env.ccctl.json("sms", "sync", "-t", "sms-test")["checked"] == 0


@pytest.fixture
def served(sms_env, app):
    from support.live_server import threaded_server

    from ccctl.web.app import create_web_app
    from ccctl.web.settings import WebSettings

    web = create_web_app(app, WebSettings(trusted_proxies=("127.0.0.1",)))
    with threaded_server(web) as base:
        sms_env.apply(status_callback_url=f"{base}/t/sms-test/sms/status")
        sms_env.base = base
        sms_env.ccctl("sms", "send", PHONE, "--body", "bonjour")
        yield sms_env


def test_json_status_callback_is_applied_not_a_500(served):
    """Finding 8: a validly signed JSON body (``?bodySHA256=``) reached ``.get`` on a str."""
    [row] = served.outbox()
    url = f"{served.base}/t/sms-test/sms/status?o={row['id']}"
    status, _ = served.twilio.post_json_webhook(url, {"MessageSid": row["sid"], "MessageStatus": "delivered",
                                                      "ErrorCode": None})
    assert status == 200
    assert served.outbox()[0]["status"] == "delivered"
    for bad in ([1, 2], "delivered"):  # signed, but not an object: the sender's mistake, 400
        assert served.twilio.post_json_webhook(url, bad)[0] == 400


def test_forwarded_port_is_part_of_the_signed_url(served):
    """Finding 6: behind a proxy on 8443 Twilio signs https://host:8443/...; ccctl must rebuild that."""
    [row] = served.outbox()
    path = f"/t/sms-test/sms/status?o={row['id']}"
    params = {"MessageSid": row["sid"], "MessageStatus": "delivered", "AccountSid": served.twilio.account_sid}
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cc.example.com", "X-Forwarded-Port": "8443"}
    elsewhere = served.twilio.post_webhook(served.base + path, params, headers=proxy,
                                           signed_url=f"https://cc.example.com:9443{path}")
    assert elsewhere[0] == 403  # signed for another port: refused
    status, _ = served.twilio.post_webhook(served.base + path, params, headers=proxy,
                                           signed_url=f"https://cc.example.com:8443{path}")
    assert status == 200 and served.outbox()[0]["status"] == "delivered"


@given(name=st.from_regex(r"[a-z][a-z0-9.-]{0,30}", fullmatch=True), old=st.integers(1, 65535) | st.none(),
       port=st.integers(1, 65535), scheme=st.sampled_from(["http", "https"]))
def test_with_port_replaces_or_drops_the_port(name, old, port, scheme):
    from ccctl.web.proxy import with_port

    host = name if old is None else f"{name}:{old}"
    out = with_port(host, scheme, port)
    default = {"http": 80, "https": 443}[scheme]
    assert out == (name if port == default else f"{name}:{port}")


@given(port=st.integers(1, 65535), old=st.integers(1, 65535) | st.none())
def test_with_port_keeps_ipv6_literals_whole(port, old):
    from ccctl.web.proxy import with_port

    host = "[2001:db8::1]" + ("" if old is None else f":{old}")
    assert with_port(host, "https", port) == "[2001:db8::1]" + ("" if port == 443 else f":{port}")


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8))
def test_as_params_takes_objects_and_refuses_anything_else(value):
    from starlette.exceptions import HTTPException

    from ccctl_sms.webhooks import as_params

    text = json.dumps(value)
    if isinstance(value, dict):
        params = as_params(text)
        assert set(params) == set(value) and all(isinstance(v, str) for v in params.values())
    else:
        with pytest.raises(HTTPException) as caught:
            as_params(text)
        assert caught.value.status_code == 400


@given(st.text(max_size=30))
def test_as_params_refuses_text_that_is_not_json(text):
    from starlette.exceptions import HTTPException

    from ccctl_sms.webhooks import as_params

    try:
        value = json.loads(text)
    except ValueError:
        value = None
        if not text.strip():
            assert as_params(text) == {}
            return
        with pytest.raises(HTTPException):
            as_params(text)
        return
    if isinstance(value, dict):
        assert set(as_params(text)) == set(value)
    else:
        with pytest.raises(HTTPException):
            as_params(text)
