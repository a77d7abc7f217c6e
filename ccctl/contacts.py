"""Normalised contact points: phones in E.164 (tenant's default region), emails lower-cased."""

from __future__ import annotations

import functools
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


SEPARATORS = str.maketrans("", "", " .-\u00a0")
# Any type makes a number valid, so the common ones are tried first.
NUMBER_TYPES = ("mobile", "fixed_line", "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
                "uan", "voicemail")
_REGIONS: dict[str, tuple | None] = {}


def _region_rules(region: str) -> tuple | None:
    """(country code, national prefix, validator) for regions with a plain national prefix and a
    country code of their own; None for the others (the full parser handles them)."""
    if region not in _REGIONS:
        import phonenumbers

        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        simple = (meta is not None and meta.national_prefix_for_parsing in (None, meta.national_prefix)
                  and len(phonenumbers.region_codes_for_country_code(meta.country_code)) == 1)
        _REGIONS[region] = (str(meta.country_code), meta.national_prefix, _validator(meta)) if simple else None
    return _REGIONS[region]


def _validator(meta):
    """phonenumbers' is_valid_number for one region, patterns compiled once: the general pattern and
    lengths, then any number type's (the same test as its _number_type_helper != UNKNOWN)."""
    def desc(d):
        if d is None or not d.national_number_pattern:
            return None
        return frozenset(d.possible_length or ()), re.compile(d.national_number_pattern)

    general = desc(meta.general_desc)
    types = [t for t in (desc(getattr(meta, name)) for name in NUMBER_TYPES) if t is not None]

    def valid(nsn: str) -> bool:
        size = len(nsn)
        if general is None or (general[0] and size not in general[0]) or not general[1].fullmatch(nsn):
            return False
        return any((not lengths or size in lengths) and pattern.fullmatch(nsn) for lengths, pattern in types)

    return valid


def _fast_e164(text: str, region: str) -> str | None:
    """The E.164 form of the common spellings (``06 12 34 56 78``, ``+33 6 12...``, ``0033...``) of a
    number of ``region`` without phonenumbers' general parser (a bulk import spent most of its time
    there); None whenever the text is anything else, and the full parser decides."""
    rules = _region_rules(region)
    if rules is None:
        return None
    code, national, valid = rules
    compact = text.translate(SEPARATORS)
    if compact.startswith("+" + code):
        rest = compact[len(code) + 1:]
    elif compact.startswith("00" + code):
        rest = compact[len(code) + 2:]
    elif national and compact.startswith(national) and not compact.startswith("00"):
        rest = compact[len(national):]
    else:
        return None
    if not (rest.isascii() and rest.isdigit()) or rest.startswith("0") or not 4 <= len(rest) <= 14:
        return None
    return f"+{code}{rest}" if valid(rest) else None


def normalize_phone(text: str, region: str = "FR") -> str:
    fast = _fast_e164(text, region)
    if fast is not None:
        return fast
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


@functools.lru_cache(maxsize=65536)  # imports repeat first and last names; the key is pure
def name_key(name: str) -> str:
    """Lower-case, accent-free, single-spaced: 'Élodie  DUPONT' → 'elodie dupont'."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = re.sub(r"[^\w\s]", " ", stripped.lower())
    return " ".join(cleaned.split())
