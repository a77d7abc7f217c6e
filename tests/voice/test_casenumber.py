"""Case numbers keyed on the phone: format and parse, property-based."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccctl_voice.casenumber import format_case, parse_case
from ccctl_voice.config import CaseNumber

SPECS = [CaseNumber(digits=7, check="luhn"), CaseNumber(digits=8, check="mod97"), CaseNumber(digits=5, check="none")]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.check)
@given(item_id=st.integers(min_value=1, max_value=9999))
def test_round_trip(spec, item_id):
    digits = format_case(item_id, spec)
    assert len(digits) == spec.digits and digits.isdigit()
    assert parse_case(digits, spec) == item_id
    assert parse_case(digits + "#", spec) == item_id  # the finish key Twilio may pass on


@pytest.mark.parametrize("spec", SPECS[:2], ids=lambda s: s.check)
@given(item_id=st.integers(min_value=1, max_value=99999), position=st.integers(0, 6), delta=st.integers(1, 9))
def test_one_wrong_digit_is_caught(spec, item_id, position, delta):
    digits = format_case(item_id, spec)
    wrong = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1:]
    assert parse_case(wrong, spec) is None


@given(text=st.text(max_size=20))
def test_anything_keyed_parses_to_an_id_or_none(text):
    for spec in SPECS:
        found = parse_case(text, spec)
        assert found is None or (found > 0 and format_case(found, spec) == text.strip().rstrip("#"))


@pytest.mark.parametrize("keyed", ["", "123", "12345678", "00000000", "abcdefg", "١٢٣٤٥٦٧", None, "0000000"])
def test_bad_input_is_none(keyed):
    assert parse_case(keyed, SPECS[0]) is None


def test_known_values():
    assert format_case(7992739, CaseNumber(digits=8, check="luhn")) == "79927398"  # the textbook Luhn example
    assert format_case(4711, CaseNumber(digits=7, check="luhn"))[:6] == "004711"
    with pytest.raises(ValueError, match="does not fit"):
        format_case(10**6, CaseNumber(digits=7, check="luhn"))
