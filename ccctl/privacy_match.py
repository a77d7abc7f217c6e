"""Finding a person in free text, the way people write them: any case, with or without accents,
surname first, and any spelling of their phone number that parses to the same E.164 number.

Identifiers are folded (``É`` → ``e``) and each folded letter becomes a class of every
character that folds to it (``e`` → ``[eEéÉèÈ…]``), so the regular expression runs on the text
as stored and its spans are what gets masked. SQLite's ``lower() LIKE`` folds ASCII only:
matching happens here, in Python, never in SQL.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

MASK = "***"
MIN_IDENTIFIER = 3
NAME_SEPARATORS = r"[\s\-,.'’]+"
# Code points folded: Latin, Greek, Cyrillic, Latin Extended Additional, fullwidth forms.
FOLDED_RANGES = (range(0x80, 0x530), range(0x1E00, 0x1F00), range(0xFF00, 0xFFF0))


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table = {code: chr(code).lower() for code in range(ord("A"), ord("Z") + 1)}
    for code in itertools.chain(*FOLDED_RANGES):
        folded = fold_char(chr(code))
        if folded != chr(code):
            table[code] = folded
    return table


def fold_char(char: str) -> str:
    """One character, lower-case and without accents, when that stays one character."""
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    folded = base.casefold() if base else char
    if len(folded) == 1:
        return folded
    lower = char.lower()
    return lower if len(lower) == 1 else char


def fold(text: str) -> str:
    """``text`` lower-cased and accent-free, character for character (same length, same offsets)."""
    return text.translate(_fold_table())


@lru_cache(maxsize=1)
def _variants() -> dict[str, str]:
    """Folded character → a regex class of every character that folds to it."""
    found: dict[str, set[str]] = {}
    for code in itertools.chain(range(0x80), *FOLDED_RANGES):
        char = chr(code)
        found.setdefault(fold(char), {fold(char)}).add(char)
    return {key: "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"
            for key, chars in found.items() if len(chars) > 1}


def loose(text: str) -> str:
    """A regex matching ``text`` in any case, with or without accents."""
    variants = _variants()
    return "".join(variants.get(c, re.escape(c)) for c in fold(text))


def name_orders(name: str) -> list[str]:
    """Regular expressions (on folded text) for a full name in any order of its parts:
    'Zoé Quixote-Érasure', 'QUIXOTE-ÉRASURE Zoé', 'Quixote Erasure, Zoe'."""
    parts = [p for p in re.split(NAME_SEPARATORS, name.strip()) if p]
    if len(parts) < 2:  # a single word is too common to erase everywhere it appears
        return [loose(parts[0])] if parts and len(parts[0]) >= MIN_IDENTIFIER else []
    orders = [parts[i:] + parts[:i] for i in range(len(parts))] if len(parts) <= 4 else [parts]
    return [r"(?<!\w)" + NAME_SEPARATORS.join(loose(p) for p in order) + r"(?!\w)" for order in orders]


class Scrubber:
    """Finds and masks a person's names, e-mail addresses and phone numbers in strings, JSON
    values and raw bytes. ``phones`` are E.164; ``region`` reads numbers written nationally."""

    def __init__(self, names: list[str], emails: list[str], phones: list[str], region: str = "FR") -> None:
        patterns = [p for name in names for p in name_orders(name)]
        patterns += [loose(e) for e in emails if len(e) >= MIN_IDENTIFIER]
        self.pattern = re.compile("|".join(sorted(set(patterns), key=len, reverse=True))) if patterns else None
        self.phones = set(phones)
        self.region = region
        # The national digits with any separators between them: a cheap test before the matcher.
        digits = {_national_digits(p) for p in self.phones}
        self.phone_hint = re.compile("|".join(r"[\s.\-()/]*".join(d) for d in digits)) if digits else None

    def __bool__(self) -> bool:
        return self.pattern is not None or bool(self.phones)

    def spans(self, text: str) -> list[tuple[int, int]]:
        found = [m.span() for m in self.pattern.finditer(text)] if self.pattern else []
        if self.phone_hint is not None and self.phone_hint.search(text):
            found += self._phone_spans(text)
        return _merged(found)

    def _phone_spans(self, text: str) -> list[tuple[int, int]]:
        import phonenumbers

        spans = []
        for match in phonenumbers.PhoneNumberMatcher(text, self.region, leniency=phonenumbers.Leniency.POSSIBLE):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if e164 in self.phones:
                spans.append((match.start, match.end))
        return spans

    def text(self, value: str) -> str:
        spans = self.spans(value)
        for start, end in reversed(spans):
            value = value[:start] + MASK + value[end:]
        return value

    def holds(self, value: Any) -> bool:
        if value is None or not self:
            return False
        if isinstance(value, bytes | memoryview):
            value = bytes(value).decode("utf-8", "surrogateescape")
        elif not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        return bool(self.spans(value))

    def value(self, value: Any) -> Any:
        """``value`` with the person masked: strings, JSON structures (keys too) and raw bytes
        (masked where the text is readable as UTF-8; other bytes kept as they are)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes | memoryview):
            return self.text(bytes(value).decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        if isinstance(value, dict):
            return {self.text(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


def _national_digits(e164: str) -> str:
    import phonenumbers

    return str(phonenumbers.parse(e164, None).national_number)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out
