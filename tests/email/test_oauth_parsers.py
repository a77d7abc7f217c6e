"""Property tests for what the OAuth2 code reads from outside: token and device answers, XOAUTH2
strings and the servers' refusal challenges; and the tenant YAML's oauth2 checks."""

import base64
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccctl_email.oauth import parse_device_answer
from ccctl_email.sasl import refusal_reason, xoauth2
from ccctl_email.tokenstore import TokenResponseError, record_from_response
from support.oauth_server import parse_xoauth2

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                    max_leaves=10)
TOKEN = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=60)
FIELDS = dict(user="u@example.test", client_id="app", token_url="https://login.example/token")


@given(st.dictionaries(st.sampled_from(["access_token", "token_type", "expires_in", "refresh_token", "scope", "x"]),
                       JSON, max_size=6) | JSON)
def test_any_token_answer_gives_a_record_or_a_clear_error(answer):
    try:
        record = record_from_response(answer, **FIELDS, now=1000.0)
    except TokenResponseError as exc:
        assert "token endpoint" in exc.format_message()
        return
    assert isinstance(answer, dict) and record.access_token == answer["access_token"]
    assert record.expires_at > 1000.0 and math.isfinite(record.expires_at)
    assert record.refresh_token is None or isinstance(record.refresh_token, str)


@given(access=TOKEN, refresh=st.none() | TOKEN, lifetime=st.integers(1, 10**7) | st.integers(1, 10**7).map(str),
       scope=st.none() | st.lists(st.sampled_from(["imap", "smtp", "offline_access"]), max_size=3).map(" ".join),
       kind=st.sampled_from(["Bearer", "bearer", "BEARER"]))
def test_good_token_answers_round_trip_and_keep_an_unrotated_refresh_token(access, refresh, lifetime, scope, kind):
    previous = record_from_response({"access_token": "old", "refresh_token": "r0", "scope": "imap"}, **FIELDS, now=0)
    answer = {"access_token": access, "token_type": kind, "expires_in": lifetime}
    if refresh is not None:
        answer["refresh_token"] = refresh
    if scope is not None:
        answer["scope"] = scope
    record = record_from_response(answer, **FIELDS, previous=previous, now=500.0)
    assert record.expires_at == 500.0 + int(lifetime)
    assert record.refresh_token == (refresh if refresh is not None else "r0")  # rotated, or kept
    assert record.scopes == (scope.split() if scope is not None else ["imap"])
    assert record.obtained_at == 0 and record.refreshed_at == 500.0


@pytest.mark.parametrize("answer, words", [
    ({"token_type": "Bearer"}, "no usable access_token"),
    ({"access_token": "a b"}, "no usable access_token"),
    ({"access_token": "a", "token_type": "mac"}, "not Bearer"),
    ({"access_token": "a", "expires_in": 0}, "not a positive number"),
    ({"access_token": "a", "expires_in": True}, "not a positive number"),
    ({"access_token": "a", "expires_in": "soon"}, "not a positive number"),
    ({"access_token": "a", "refresh_token": ""}, "refresh_token is not text"),
    ({"access_token": "a", "scope": ["imap"]}, "scope is not text"),
    (["access_token"], "not a JSON object"),
])
def test_bad_token_answers(answer, words):
    with pytest.raises(TokenResponseError, match=words):
        record_from_response(answer, **FIELDS)


@given(st.dictionaries(st.sampled_from(["verification_uri", "verification_url", "user_code", "device_code",
                                        "expires_in", "interval", "message"]), JSON, max_size=7) | JSON)
def test_any_device_answer_gives_fields_or_a_clear_error(answer):
    try:
        grant = parse_device_answer(answer)
    except TokenResponseError as exc:
        assert "device authorization answer" in exc.format_message()
        return
    assert grant["verification_uri"].startswith(("https://", "http://")) and grant["user_code"].isprintable()
    assert 1 <= grant["expires_in"] <= 86400 and 0 <= grant["interval"] <= 600


def test_device_answer_of_google_and_microsoft_shapes():
    google = {"device_code": "d", "user_code": "ABC-DEF", "verification_url": "https://www.google.com/device",
              "expires_in": 1800, "interval": 5}
    microsoft = {"device_code": "d", "user_code": "F7Q2", "verification_uri": "https://microsoft.com/devicelogin",
                 "expires_in": 900, "interval": 5, "message": "To sign in, ..."}
    assert parse_device_answer(google)["verification_uri"] == "https://www.google.com/device"
    assert parse_device_answer(microsoft)["interval"] == 5
    with pytest.raises(TokenResponseError, match="verification_uri is not a web address"):
        parse_device_answer({**microsoft, "verification_uri": "javascript:alert(1)"})


@given(user=st.text(st.characters(blacklist_characters="\x01\r\n", blacklist_categories=("Cs",)), min_size=1,
                    max_size=40), token=TOKEN)
def test_xoauth2_round_trips(user, token):
    assert parse_xoauth2(xoauth2(user, token)) == (user, token)


@given(st.text(max_size=80))
def test_xoauth2_parser_refuses_garbage_with_valueerror_only(text):
    try:
        user, token = parse_xoauth2(text)
    except ValueError:
        return
    assert xoauth2(user, token) == text


@pytest.mark.parametrize("user, token", [("a\x01b", "t"), ("a", "t\x01"), ("a", "t u"), ("a\r\n", "t")])
def test_xoauth2_refuses_control_characters(user, token):
    with pytest.raises(ValueError):
        xoauth2(user, token)


@given(st.binary(max_size=200) | JSON.map(lambda v: base64.b64encode(json.dumps(v).encode())) | st.none())
def test_refusal_reason_never_raises_and_prints_safely(challenge):
    words = refusal_reason(challenge)
    assert words.startswith("the server refused the token") and words.isprintable()


def test_refusal_reason_of_dovecot_and_gmail():
    dovecot = b'{"status":"401","schemes":"bearer","scope":"mail"}'  # imaplib hands it over decoded
    gmail = base64.b64encode(b'{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}')
    assert refusal_reason(dovecot) == "the server refused the token (status 401); it wants scope mail"
    assert refusal_reason(gmail).endswith("(status 400); it wants scope https://mail.google.com/")


BASE = "tenant: t1\nname: T1\nqueues: [{name: general}]\nplugins:\n  email:\n    enabled: true\n"
MS = "{provider: microsoft, tenant_id: contoso.onmicrosoft.com, client_id: abc}"


@pytest.mark.parametrize("imap, key, message", [
    ("{host: h, user: u, auth: oauth2}", "imap", "auth: oauth2 needs an 'oauth2' block"),
    (f"{{host: h, user: u, auth: oauth2, password: '${{X}}', oauth2: {MS}}}", "imap", "takes no password"),
    (f"{{host: h, user: u, password: '${{X}}', oauth2: {MS}}}", "imap", "needs auth: oauth2"),
    ("{host: h, user: u}", "imap", "auth: password needs 'password'"),
    ("{host: h, user: u, auth: kerberos, password: '${X}'}", "imap.auth", "'password' or 'oauth2'"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: microsoft, client_id: abc}}", "imap.oauth2",
     "needs tenant_id"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: google, client_id: a, flow: device_code}}",
     "imap.oauth2", "refuses its mail scope in the device flow"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: microsoft, tenant_id: x, client_id: a,"
     " flow: client_credentials}}", "imap.oauth2", "needs client_secret"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: microsoft, tenant_id: x, client_id: a,"
     " client_secret: hunter2}}", "imap.oauth2.client_secret", "secrets must not be written"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: generic, client_id: a, scopes: [x],"
     " token_url: 'http://idp.example/token', device_authorization_url: 'https://idp.example/d'}}",
     "imap.oauth2.token_url", "must be an https:// URL"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: generic, client_id: a, scopes: [x],"
     " token_url: 'https://me:pw@idp.example/token', device_authorization_url: 'https://idp.example/d'}}",
     "imap.oauth2.token_url", "no user or password in the address"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: generic, client_id: a, token_url: 'https://i/t'}}",
     "imap.oauth2", "needs device_authorization_url"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: google, client_id: a, flow: client_credentials,"
     " client_secret: '${S}'}}", "imap.oauth2", "use flow: service_account (a service account with domain-wide"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: google, flow: service_account}}", "imap.oauth2",
     "flow service_account needs service_account_key: file:/path/to/key.json or ${ENV_VAR}"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: microsoft, tenant_id: x, flow: service_account,"
     " service_account_key: 'file:/k.json'}}", "imap.oauth2", "for microsoft use flow: client_credentials"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: google, flow: service_account,"
     " service_account_key: 'file:/k.json', client_secret: '${S}'}}", "imap.oauth2", "remove client_secret"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: google, client_id: a, subject: boss@x.fr}}",
     "imap.oauth2", "service_account_key and subject belong to flow: service_account"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: google}}", "imap.oauth2",
     "flow authorization_code needs client_id"),
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: google, flow: service_account,"
     " service_account_key: /etc/ccctl/k.json}}", "imap.oauth2.service_account_key", "must be a reference"),
    # The key file pasted into the YAML (JSON is YAML): refused before anything is stored or shown.
    ("{host: h, user: u, auth: oauth2, oauth2: {provider: google, flow: service_account,"
     " service_account_key: {type: service_account, private_key: '-----BEGIN PRIVATE KEY-----MIIE'}}}",
     "imap.oauth2.service_account_key.private_key", "secrets must not be written"),
])
def test_bad_oauth2_sections_are_refused_with_their_key(ccctl, tmp_path, imap, key, message):
    path = tmp_path / "t1.yaml"
    path.write_text(BASE + f"    imap: {imap}\n")
    result = ccctl("tenant", "apply", "-f", str(path), code=2)
    assert f"{path}:7:" in result.stderr and f"plugins.email.{key}" in result.stderr and message in result.stderr


def test_presets_fill_endpoints_and_documented_scopes():
    from ccctl_email.config import OAuth2Settings

    ms = OAuth2Settings(provider="microsoft", tenant_id="contoso.onmicrosoft.com", client_id="a")
    assert ms.flow == "device_code"
    assert ms.effective_token_url == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    assert ms.scopes_for("imap") == ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"]
    app = OAuth2Settings(provider="microsoft", tenant_id="x", client_id="a", flow="client_credentials",
                         client_secret="${S}")
    assert app.scopes_for("smtp") == ["https://outlook.office365.com/.default"]
    google = OAuth2Settings(provider="google", client_id="a")
    assert google.flow == "authorization_code" and google.scopes_for("smtp") == ["https://mail.google.com/"]
    assert google.effective_token_url == "https://oauth2.googleapis.com/token"
    robot = OAuth2Settings(provider="google", flow="service_account", service_account_key="file:/k.json")
    assert robot.scopes_for("imap") == robot.scopes_for("smtp") == ["https://mail.google.com/"]
    assert not robot.person_consents and google.person_consents and robot.client_id is None
    # Another key or another user to act as is another token (file).
    other = OAuth2Settings(provider="google", flow="service_account", service_account_key="file:/k.json",
                           subject="boss@example.fr")
    assert len({robot.credential_id, other.credential_id, google.credential_id}) == 3
