"""One input row (file line, form post, site event) → the identity fields matching works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ccctl.contacts import normalize_email, normalize_phone
from ccctl.errors import InputError
from ccctl.identity.rules import EMAIL_KEYS, PHONE_KEYS, RESERVED, CustomerRules
from ccctl.identity.sources import RowError


NAME_MAX, EMAIL_MAX = 200, 320  # the columns' lengths: PostgreSQL refuses longer, SQLite would keep them


@dataclass(slots=True)
class Incoming:
    where: str                      # "file:line" (or what the caller names it)
    name: str
    emails: list[str]               # normalised, in row order
    phones: list[str]               # E.164
    keys: dict[str, str]            # external key → value
    attributes: dict[str, Any] = field(default_factory=dict)  # every other non-empty column, keys included


def split_values(value: Any) -> list[str]:
    """A cell holding one or several values (``a@x;b@y``, a JSON list) → the non-empty ones."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [v.strip() for v in str(value).replace(";", ",").split(",") if v.strip()]


def prepare(raw: dict[str, Any], rules: CustomerRules, region: str, file: str, line: int) -> Incoming:
    """Validate and normalise one row; a bad value raises ``RowError`` (``file:line: column: reason``)."""
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise RowError(file, line, "name", "must be text")
    # What PostgreSQL refuses and SQLite stores: refused alike, before anything is written.
    for column, value in raw.items():
        if "\x00" in str(value if value is not None else ""):
            raise RowError(file, line, column, "holds a NUL character: remove it")
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        raise RowError(file, line, "name", f"is at most {NAME_MAX} characters")
    emails: list[str] = []
    phones: list[str] = []
    for column in EMAIL_KEYS:
        for value in split_values(raw.get(column)):
            if len(value) > EMAIL_MAX:
                raise RowError(file, line, column, f"an email is at most {EMAIL_MAX} characters")
            emails.append(_normal(normalize_email, value, file, line, column))
    for column in PHONE_KEYS:
        for value in split_values(raw.get(column)):
            phones.append(_normal(lambda v: normalize_phone(v, region), value, file, line, column))
    attributes: dict[str, Any] = {}
    for column, value in raw.items():
        if column in RESERVED or value is None or (isinstance(value, str) and not value.strip()):
            continue
        attributes[column] = value.strip() if isinstance(value, str) else value
    keys = {}
    for key in rules.external_keys:
        if key in attributes:
            value = attributes[key]
            if isinstance(value, dict | list):
                raise RowError(file, line, key, "an external key must be a single value")
            keys[key] = attributes[key] = str(value)
    if not (name or emails or phones or keys):
        raise RowError(file, line, None, "needs a name, an email, a phone or an external key")
    return Incoming(f"{file}:{line}", name, list(dict.fromkeys(emails)), list(dict.fromkeys(phones)), keys,
                    attributes)


def _normal(normalise, value: str, file: str, line: int, column: str) -> str:
    try:
        return normalise(value)
    except InputError as exc:
        raise RowError(file, line, column, exc.message) from None
