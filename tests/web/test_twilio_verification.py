"""Twilio webhooks: a signed request is handled once; forged, unsigned or replayed ones get 403 and change nothing."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ccctl.db.models import Interaction, SeenRequest
from ccctl.web.app import create_web_app
from ccctl.web.settings import WebSettings

from .demo_plugin import DEMO_TOKEN

PARAMS = {"MessageSid": "SM0001", "Body": "bonjour", "From": "+33612345678"}


def signed(url: str, params: dict, token: str = DEMO_TOKEN) -> dict:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


def rows(app) -> int:
    with app.session() as s:
        return s.scalar(select(func.count()).select_from(Interaction).where(Interaction.channel == "demo"))


@pytest.fixture
def serve(demo_app):
    """Start the demo app with given settings; yields a function returning its base URL."""
    import contextlib

    from support.live_server import threaded_server

    with contextlib.ExitStack() as stack:
        def start(**settings) -> str:
            return stack.enter_context(threaded_server(create_web_app(demo_app, WebSettings(**settings))))
        yield start


def test_signed_request_is_handled_and_its_replay_refused(demo_app, serve):
    url = serve() + "/t/with-demo/demo/twilio"
    headers = signed(url, PARAMS)
    first = httpx.post(url, data=PARAMS, headers=headers)
    assert first.status_code == 200, first.text
    assert rows(demo_app) == 1
    replay = httpx.post(url, data=PARAMS, headers=headers)
    assert replay.status_code == 403
    assert "replayed" in replay.text
    assert rows(demo_app) == 1


def test_forged_signature_changes_nothing(demo_app, serve):
    url = serve() + "/t/with-demo/demo/twilio"
    forged = signed(url, PARAMS, token="not-the-tenant-token")
    response = httpx.post(url, data=PARAMS, headers=forged)
    assert response.status_code == 403 and "bad Twilio signature" in response.text
    assert rows(demo_app) == 0
    with demo_app.session() as s:
        assert s.scalar(select(func.count()).select_from(SeenRequest)) == 0


def test_tampered_body_is_refused(demo_app, serve):
    url = serve() + "/t/with-demo/demo/twilio"
    response = httpx.post(url, data={**PARAMS, "Body": "changed"}, headers=signed(url, PARAMS))
    assert response.status_code == 403
    assert rows(demo_app) == 0


def test_missing_signature_is_refused(demo_app, serve):
    response = httpx.post(serve() + "/t/with-demo/demo/twilio", data=PARAMS)
    assert response.status_code == 403 and "missing X-Twilio-Signature" in response.text
    assert rows(demo_app) == 0


def test_a_failed_request_leaves_no_digest_so_a_retry_is_accepted(demo_app, serve):
    url = serve() + "/t/with-demo/demo/twilio"
    bad = {"MessageSid": "SM0002", "From": "+33612345678"}  # no Body: the route fails after verifying
    with httpx.Client() as client:
        assert client.post(url, data=bad, headers=signed(url, bad)).status_code == 500
    with demo_app.session() as s:
        assert s.scalar(select(func.count()).select_from(SeenRequest)) == 0


def test_behind_a_trusted_proxy_the_public_url_is_checked(demo_app, serve):
    base = serve(trusted_proxies=("127.0.0.1",))
    public = "https://cc.example.com/t/with-demo/demo/twilio"
    headers = {**signed(public, PARAMS), "X-Forwarded-Proto": "https", "X-Forwarded-Host": "cc.example.com"}
    response = httpx.post(base + "/t/with-demo/demo/twilio", data=PARAMS, headers=headers)
    assert response.status_code == 200, response.text
    assert rows(demo_app) == 1


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(demo_app, serve):
    base = serve()  # no trusted proxy: the X-Forwarded-* headers are an attacker's words
    public = "https://cc.example.com/t/with-demo/demo/twilio"
    headers = {**signed(public, PARAMS), "X-Forwarded-Proto": "https", "X-Forwarded-Host": "cc.example.com"}
    assert httpx.post(base + "/t/with-demo/demo/twilio", data=PARAMS, headers=headers).status_code == 403
    assert rows(demo_app) == 0


def test_public_url_setting(demo_app, serve):
    base = serve(public_url="https://cc.example.com/")
    headers = signed("https://cc.example.com/t/with-demo/demo/twilio?x=1", PARAMS)
    assert httpx.post(base + "/t/with-demo/demo/twilio?x=1", data=PARAMS, headers=headers).status_code == 200


def test_twilio_route_of_a_tenant_without_the_plugin_is_404(demo_app, serve):
    url = serve() + "/t/without-demo/demo/twilio"
    assert httpx.post(url, data=PARAMS, headers=signed(url, PARAMS)).status_code == 404


def test_json_webhook_signed_with_body_hash(demo_app, serve):
    import hashlib
    import json

    body = json.dumps({"event": "delivered"}).encode()
    url = serve() + "/t/with-demo/demo/twilio-json?bodySHA256=" + hashlib.sha256(body).hexdigest()
    headers = {**signed(url, {}), "Content-Type": "application/json"}
    assert httpx.post(url, content=body, headers=headers).status_code == 200
    tampered = json.dumps({"event": "failed"}).encode()
    assert httpx.post(url, content=tampered, headers=headers).status_code == 403
    assert rows(demo_app) == 1


def test_a_digest_older_than_the_window_is_forgotten(demo_app, serve):
    """Past --replay-window the digest is purged (the table does not grow forever)."""
    from datetime import timedelta

    from ccctl.db.models import Tenant, utcnow
    from ccctl.web.twilio import replay_key

    url = serve(replay_window=3600) + "/t/with-demo/demo/twilio"
    headers = signed(url, PARAMS)
    with demo_app.session() as s:
        tenant = s.scalar(select(Tenant).where(Tenant.slug == "with-demo"))
        s.add(SeenRequest(tenant_id=tenant.id, digest=replay_key(url, PARAMS), seen_at=utcnow() - timedelta(hours=2)))
        s.commit()
    assert httpx.post(url, data=PARAMS, headers=headers).status_code == 200
    assert rows(demo_app) == 1
    with demo_app.session() as s:
        assert s.scalar(select(func.count()).select_from(SeenRequest)) == 1  # the old one went, this one stays


def test_a_body_that_is_neither_form_nor_hashed_is_refused(demo_app, serve):
    url = serve() + "/t/with-demo/demo/twilio-json"
    headers = {**signed(url, {}), "Content-Type": "application/json"}  # signs the URL only
    response = httpx.post(url, content=b'{"event": "forged"}', headers=headers)
    assert response.status_code == 403 and "bodySHA256" in response.text
    assert rows(demo_app) == 0


def test_get_webhook_is_signed_by_its_url(demo_app, serve):
    url = serve() + "/t/with-demo/demo/twilio-get?MessageSid=SM9&Body=hello"
    assert httpx.get(url, headers=signed(url, {})).status_code == 200
    assert httpx.get(url.replace("hello", "bye"), headers=signed(url, {})).status_code == 403
    assert httpx.get(url, headers=signed(url, {})).status_code == 403  # replay
    assert rows(demo_app) == 1


def post_raw(url: str, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(url, content=body, headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize("replayed", [
    b"From=%2B33612345678&Body=bonjour&MessageSid=SM0001",                # fields reordered
    b"MessageSid=SM0001&Body=bonjou%72&From=+33612345678".replace(b"+33", b"%2b33"),  # re-encoded
    b"MessageSid=SM0001&Body=bonjour&Body=bonjour&From=%2B33612345678",   # a field repeated
])
def test_a_seen_request_reencoded_is_still_a_replay(demo_app, serve, replayed):
    """The signature covers the sorted, decoded parameters, not the bytes: so does the replay key."""
    url = serve() + "/t/with-demo/demo/twilio"
    headers = signed(url, PARAMS)
    first = post_raw(url, b"MessageSid=SM0001&Body=bonjour&From=%2B33612345678", headers)
    assert first.status_code == 200, first.text
    again = post_raw(url, replayed, headers)
    assert again.status_code == 403 and "replayed" in again.text, again.text
    assert rows(demo_app) == 1


def test_a_split_that_signs_the_same_text_is_a_replay(demo_app, serve):
    """``a=bc`` and ``ab=c`` make the same signed text: Twilio's scheme cannot tell them apart, so neither do we."""
    url = serve() + "/t/with-demo/demo/twilio"
    params = {"MessageSid": "SM0003", "Body": "hello", "From": "+33612345678"}
    headers = signed(url, params)
    assert httpx.post(url, data=params, headers=headers).status_code == 200
    split = {"MessageSid": "SM0003", "Body": "hello", "Fro": "m+33612345678"}
    assert RequestValidator(DEMO_TOKEN).compute_signature(url, split) == headers["X-Twilio-Signature"]
    again = httpx.post(url, data=split, headers=headers)
    assert again.status_code == 403 and "replayed" in again.text
    assert rows(demo_app) == 1


def test_the_same_request_with_the_port_written_out_is_a_replay(demo_app, serve):
    """The validator accepts the URL with or without its port; the key strips it."""
    base = serve(public_url="https://cc.example.com")
    headers = signed("https://cc.example.com/t/with-demo/demo/twilio", PARAMS)
    assert httpx.post(base + "/t/with-demo/demo/twilio", data=PARAMS, headers=headers).status_code == 200
    with_port = serve(public_url="https://cc.example.com:443")
    again = httpx.post(with_port + "/t/with-demo/demo/twilio", data=PARAMS, headers=headers)
    assert again.status_code == 403 and "replayed" in again.text
    assert rows(demo_app) == 1


def test_a_different_request_is_not_a_replay(demo_app, serve):
    url = serve() + "/t/with-demo/demo/twilio"
    for sid in ("SM0010", "SM0011"):
        params = {**PARAMS, "MessageSid": sid}
        assert httpx.post(url, data=params, headers=signed(url, params)).status_code == 200
    assert rows(demo_app) == 2


def test_a_json_webhook_replayed_with_the_body_reformatted_is_refused(demo_app, serve):
    """The URL's bodySHA256 covers the body: another spelling of the same JSON fails the hash (403)."""
    import hashlib
    import json

    body = json.dumps({"event": "delivered"}).encode()
    url = serve() + "/t/with-demo/demo/twilio-json?bodySHA256=" + hashlib.sha256(body).hexdigest()
    headers = {**signed(url, {}), "Content-Type": "application/json"}
    assert httpx.post(url, content=body, headers=headers).status_code == 200
    assert httpx.post(url, content=body, headers=headers).status_code == 403
    assert httpx.post(url, content=b'{"event":"delivered"}', headers=headers).status_code == 403
    assert rows(demo_app) == 1


@given(st.dictionaries(st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=8),
                       st.text(st.characters(blacklist_categories=["Cs"]), max_size=12), min_size=1, max_size=5))
def test_the_key_ignores_order_and_encoding(params):
    """Property: the key is a function of the signed text alone (any order of the same pairs, port or not)."""
    from ccctl.web.twilio import replay_key, signed_text

    url = "https://cc.example.com/t/x/sms/inbound"
    reordered = dict(reversed(list(params.items())))
    assert replay_key(url, params) == replay_key(url.replace(".com/", ".com:443/"), reordered)
    assert signed_text(url, params) == url + "".join(k + params[k] for k in sorted(params))
    other = {**params, next(iter(params)): params[next(iter(params))] + "x"}
    assert replay_key(url, other) != replay_key(url, params)
