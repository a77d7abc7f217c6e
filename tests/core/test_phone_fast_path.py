"""The phone fast path (bulk imports) gives exactly what phonenumbers' full parser gives."""

from __future__ import annotations

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from ccctl.contacts import _fast_e164

REGIONS = ["FR", "MQ", "GP", "RE", "BE", "DE", "US", "GB", "IT", "CH"]
separators = st.sampled_from(["", " ", ".", "-", "\u00a0"])


def slow(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@st.composite
def spelt_numbers(draw):
    region = draw(st.sampled_from(REGIONS))
    code = str(phonenumbers.country_code_for_region(region))
    digits = draw(st.text("0123456789", min_size=4, max_size=12))
    start = draw(st.sampled_from(["0", "+" + code, "00" + code, "", "+", "1"]))
    sep = draw(separators)
    body = sep.join(digits[i:i + 2] for i in range(0, len(digits), 2))
    return start + draw(separators) + body, region


@given(spelt_numbers())
def test_fast_path_agrees_with_the_full_parser(case):
    text, region = case
    fast = _fast_e164(text, region)
    if fast is not None:
        assert fast == slow(text, region)


@given(st.integers(100_000_000, 799_999_999), separators)
def test_fast_path_takes_french_national_numbers(number, sep):
    national = f"0{number}"
    text = sep.join(national[i:i + 2] for i in range(0, 10, 2))
    assert _fast_e164(text, "FR") == slow(text, "FR")
