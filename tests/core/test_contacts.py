"""Contact points: phones to E.164 with the tenant's region, emails lower-cased, names as search keys."""

from __future__ import annotations

import pytest

from ccctl.contacts import classify, name_key, normalize_email, normalize_phone
from ccctl.errors import InputError


@pytest.mark.parametrize("text,region,expected", [
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("06.12.34.56.78", "FR", "+33612345678"),
    ("+33 6 12 34 56 78", "FR", "+33612345678"),
    ("0033 6 12 34 56 78", "FR", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "FR", "+33612345678"),
    ("01 44 55 66 77", "FR", "+33144556677"),
    ("+44 20 7946 0958", "FR", "+442079460958"),   # international stays itself
    ("020 7946 0958", "GB", "+442079460958"),      # national read with the tenant's region
    ("0596 30 12 34", "MQ", "+596596301234"),      # Martinique
])
def test_phones_become_e164(text, region, expected):
    assert normalize_phone(text, region) == expected


@pytest.mark.parametrize("text", ["12", "06 12", "abc", "", "+33 6 12 34 56 78 90 12", "+999 123456789"])
def test_bad_phones_are_input_errors(text):
    with pytest.raises(InputError, match="phone number"):
        normalize_phone(text, "FR")


@pytest.mark.parametrize("text,expected", [
    (" Elodie.Martin@Example.FR ", "elodie.martin@example.fr"),
    ("mailto:KARIM@example.fr", "karim@example.fr"),
])
def test_emails_are_lower_cased(text, expected):
    assert normalize_email(text) == expected


@pytest.mark.parametrize("text", ["elodie", "elodie@", "@example.fr", "a b@example.fr", "x@localhost", "a@b@c.fr"])
def test_bad_emails_are_input_errors(text):
    with pytest.raises(InputError, match="not an email address"):
        normalize_email(text)


@pytest.mark.parametrize("text,expected", [
    ("06 12 34 56 78", ("phone", "+33612345678")),
    ("+33612345678", ("phone", "+33612345678")),
    ("Elodie@Example.fr", ("email", "elodie@example.fr")),
    ("elodie martin", None),
    ("12345", None),              # too short for a phone: a name search
    ("rue du 4 septembre", None),
    ("bad@email", None),
])
def test_classify(text, expected):
    assert classify(text, "FR") == expected


def test_name_key_folds_case_accents_punctuation_and_spaces():
    assert name_key("  Élodie   MARTIN-Lefèvre ") == "elodie martin lefevre"
    assert name_key("Œuvre d'Ægir") == name_key("Œuvre d’Ægir")
