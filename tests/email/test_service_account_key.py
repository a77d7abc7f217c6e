"""The service account key file parser (``service_account.parse_key``): any text gives a key or a
KeyFileError naming where the key came from and what to do, and no error ever quotes the file;
and the test token server's JWT reader refuses garbage with ValueError only."""

import functools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccctl_email.service_account import KeyFileError, parse_key
from support.oauth_fixtures import new_key
from support.oauth_server import split_jwt

WHERE = "tenant t1: mailbox m@x.fr: oauth2.service_account_key: file /k.json"
MARK = "SEKRET"  # in every generated value: no error message may contain it
MARKED = st.text(max_size=12).map(lambda t: MARK + t)
SCALARS = st.none() | st.booleans() | st.integers() | MARKED
FIELD_NAMES = ["type", "client_email", "client_id", "private_key", "private_key_id", "token_uri", "installed"]


@functools.cache
def pem() -> str:
    from cryptography.hazmat.primitives import serialization

    return new_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()).decode()


def good(**fields) -> dict:
    return {"type": "service_account", "client_email": "robot@p.iam.gserviceaccount.com", "client_id": "1057",
            "private_key": pem(), "private_key_id": "k1", "token_uri": "https://oauth2.googleapis.com/token", **fields}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELD_NAMES), SCALARS | st.lists(SCALARS, max_size=2), max_size=7)
       .map(lambda d: {**d, "type": "service_account"} if len(d) % 2 else d)
       .map(json.dumps) | MARKED | st.text().map(lambda t: t + MARK))
def test_any_text_gives_a_key_or_an_error_that_quotes_nothing(text):
    with pytest.raises(KeyFileError) as caught:  # no generated value is a PEM key: always refused
        parse_key(text, WHERE)
    message = caught.value.format_message()
    assert message.startswith(WHERE) and "download a JSON key" in message and MARK not in message


@settings(max_examples=50, deadline=None)
@given(field=st.sampled_from(["client_email", "client_id", "private_key", "private_key_id", "token_uri"]),
       value=SCALARS | st.sampled_from(["", "  ", "x\ny", "http://idp.example/token"]))
def test_one_bad_field_in_a_good_file(field, value):
    data = good(**{field: value})
    try:
        key = parse_key(json.dumps(data), WHERE)
    except KeyFileError as exc:
        assert field in exc.format_message() and MARK not in exc.format_message()
        return
    # Accepted: an optional field left out, or text kept as it was (never another type turned into text).
    got = getattr(key, field)
    assert field != "private_key"
    assert (got is None and (value is None or not value.strip()) and field in ("private_key_id", "token_uri")) or (
        isinstance(value, str) and got == value.strip() and got.isprintable())


def test_a_good_key_file():
    key = parse_key(json.dumps(good()), WHERE)
    assert (key.client_email, key.client_id, key.private_key_id, key.token_uri) == (
        "robot@p.iam.gserviceaccount.com", "1057", "k1", "https://oauth2.googleapis.com/token")
    assert key.key.is_private and "PRIVATE" not in repr(key)


@pytest.mark.parametrize("data, words", [
    ({"web": {"client_id": "a"}}, "is an OAuth client file (web app) (for a person's consent use flow: "
                                  "authorization_code"),
    ({"type": "authorized_user", "refresh_token": "r"}, "is a person's credentials (authorized_user)"),
    ({"type": "external_account"}, "is a workload identity federation file"),
    ({"client_email": "a@b"}, "is a JSON file without type service_account"),
    ([1, 2], "is not a service account key (not a JSON object)"),
    (good(private_key="-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"),
     "its private_key is not a PEM RSA private key"),
    (good(client_email="robot"), "its client_email is not an address"),
    (good(token_uri="http://oauth2.example/token"), "its token_uri must be an https:// URL without user or password"),
])
def test_files_that_are_not_service_account_keys(data, words):
    with pytest.raises(KeyFileError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_key(json.dumps(data), WHERE)


def test_a_public_an_ec_or_an_encrypted_key_will_not_do():
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec

    public = new_key().public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
                                                                  ser.NoEncryption())
    locked = new_key().private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.BestAvailableEncryption(b"pw"))
    for pem in (public, other, locked):
        with pytest.raises(KeyFileError, match="not a PEM RSA private key"):
            parse_key(json.dumps(good(private_key=pem.decode())), WHERE)


@given(st.text(max_size=200) | st.lists(st.text(max_size=40), min_size=3, max_size=3).map(".".join))
def test_the_token_servers_jwt_reader_refuses_garbage_with_valueerror_only(text):
    try:
        header, claims, signed, _signature = split_jwt(text)
    except ValueError:
        return
    assert isinstance(header, dict) and isinstance(claims, dict) and signed.count(b".") == 1
