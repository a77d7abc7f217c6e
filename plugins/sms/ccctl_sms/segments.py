"""How many SMS segments a text costs: GSM-7 (with its extension table) or UCS-2.

GSM 03.38: 160 septets in one segment, 153 per part when split; extension-table
characters (``^{}\\[~]|€`` and form feed) take two septets. Any other character forces
UCS-2: 70 UTF-16 code units in one segment, 67 per part (emoji count two).
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str          # "GSM-7" or "UCS-2"
    units: int             # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    non_gsm: str           # the characters that forced UCS-2, in order of appearance

    def describe(self) -> str:
        extra = f" (UCS-2 because of {self.non_gsm!r})" if self.non_gsm else ""
        return f"{self.segments} segment{'s' if self.segments != 1 else ''}, {self.encoding}, {self.units} units{extra}"


def count_segments(text: str) -> Segments:
    non_gsm = "".join(dict.fromkeys(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENSION))
    if non_gsm:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
        encoding = "UCS-2"
    else:
        units = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        single, part = 160, 153
        encoding = "GSM-7"
    if units <= single:
        return Segments(encoding, units, 1 if units else 0, non_gsm)
    if encoding == "GSM-7":
        return Segments(encoding, units, _split_gsm(text, part), non_gsm)
    return Segments(encoding, units, _split_ucs2(text, part), non_gsm)


def _split_gsm(text: str, part: int) -> int:
    # An extension character (two septets) is never cut between two parts.
    parts, used = 1, 0
    for char in text:
        size = 2 if char in GSM_EXTENSION else 1
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


def _split_ucs2(text: str, part: int) -> int:
    # A surrogate pair (emoji) is never cut between two parts either.
    parts, used = 1, 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts
