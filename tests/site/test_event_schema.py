"""The event schema, property-based: valid events always parse; anything else is refused naming a real field."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ccctl_site.schema import EventError, parse_event

TOP = ("id", "type", "occurred_at", "customer", "data")
ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,40}\Z")
amounts = st.one_of(st.integers(0, 10**9), st.floats(0, 10**9, allow_nan=False, allow_infinity=False))
valid = st.fixed_dictionaries({
    "id": ids,
    "type": st.sampled_from(["pre_reservation", "order", "quote", "page_view", "info_request"]),
    "customer": st.sampled_from([{"email": "a@example.fr"}, {"phone": "+33612345678", "name": "A"},
                                 {"email": "B@Example.FR", "phone": "0612345678"}]),
    "data": st.fixed_dictionaries({"product": st.text(min_size=1, max_size=50).filter(str.strip)},
                                  optional={"amount": amounts, "destination": st.text(max_size=30),
                                            "currency": st.sampled_from(["EUR", "USD"]),
                                            "extra_code": st.text(max_size=30)}),
})
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=3), max_leaves=8)


@given(valid)
def test_valid_events_parse_and_keep_their_data(raw):
    event, points = parse_event(json.dumps(raw).encode(), "FR")
    assert event.id == raw["id"] and event.type == raw["type"]
    assert points and all(kind in ("email", "phone") for kind, _value in points)
    attributes = event.attributes()
    assert attributes["event_type"] == raw["type"]
    if "amount" in raw["data"]:
        assert attributes["amount"] == float(raw["data"]["amount"])


@given(valid, st.sampled_from(TOP), json_values)
def test_a_corrupted_field_is_refused_naming_it(raw, key, junk):
    raw = {**raw, key: junk}
    try:
        parse_event(json.dumps(raw).encode(), "FR")
    except EventError as exc:
        assert exc.field == "" or exc.field.split(".")[0] == key, (exc.field, key)
        assert exc.message
    else:  # still valid: only possible where the junk happens to be an acceptable value
        assert key in ("occurred_at", "data") and junk in (None, {})


@given(st.binary(max_size=200))
def test_any_bytes_are_an_event_or_an_event_error(body):
    try:
        parse_event(body, "FR")
    except EventError as exc:
        assert isinstance(exc.field, str)


@given(json_values)
def test_any_json_is_an_event_or_an_event_error(value):
    try:
        parse_event(json.dumps(value).encode(), "FR")
    except EventError as exc:
        named = (*TOP, *(value if isinstance(value, dict) else ()))  # an unknown key is named as it came
        assert exc.field == "" or exc.field.split(".")[0] in named, exc.field
