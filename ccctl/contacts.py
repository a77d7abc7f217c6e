"""Normalised contact points: phones in E.164 (tenant's default region), emails lower-cased."""

from __future__ import annotations

import re
import unicodedata

from ccctl.errors import InputError

EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def normalize_email(text: str) -> str:
    value = text.strip().lower()
    if value.startswith("mailto:"):
        value = value[7:]
    if not EMAIL.match(value):
        raise InputError(f"'{text}' is not an email address")
    return value


def normalize_phone(text: str, region: str = "FR") -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InputError(f"'{text}' is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise InputError(f"'{text}' is not a valid phone number for region {region}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def classify(text: str, region: str = "FR") -> tuple[str, str] | None:
    """('email'|'phone', normalised value) when ``text`` is a contact point, else None."""
    text = text.strip()
    if "@" in text:
        try:
            return "email", normalize_email(text)
        except InputError:
            return None
    if sum(ch.isdigit() for ch in text) >= 6 and re.fullmatch(r"[\d\s+().\-/]+", text):
        try:
            return "phone", normalize_phone(text, region)
        except InputError:
            return None
    return None


def name_key(name: str) -> str:
    """Lower-case, accent-free, single-spaced: 'Élodie  DUPONT' → 'elodie dupont'."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = re.sub(r"[^\w\s]", " ", stripped.lower())
    return " ".join(cleaned.split())
