"""Case numbers a caller keys on the phone: the item id zero-padded, then check digit(s).

A check digit catches a mistyped digit (and, with Luhn, most swaps of neighbours) before
the call is routed to someone else's case.
"""

from __future__ import annotations

from ccctl_voice.config import CaseNumber


def _luhn_digit(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # doubled: the check digit will sit to the right of this one
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def _mod97_digits(body: str) -> str:
    # ISO 7064 MOD 97-10, as IBANs use.
    return f"{98 - (int(body) * 100) % 97:02d}"


CHECKS = {"luhn": (1, _luhn_digit), "mod97": (2, _mod97_digits), "none": (0, lambda body: "")}


def format_case(item_id: int, spec: CaseNumber) -> str:
    """The digits a caller keys for item ``item_id``; ValueError when it does not fit."""
    width, check = CHECKS[spec.check]
    body = f"{item_id:0{spec.digits - width}d}"
    if item_id < 0 or len(body) != spec.digits - width:
        raise ValueError(f"item {item_id} does not fit in a {spec.digits}-digit case number")
    return body + check(body)


def parse_case(keyed: str | None, spec: CaseNumber) -> int | None:
    """The item id in ``keyed``, or None when it is not a well-formed case number."""
    keyed = (keyed or "").strip().rstrip("#")
    if len(keyed) != spec.digits or not keyed.isascii() or not keyed.isdigit():
        return None
    width, check = CHECKS[spec.check]
    body = keyed[:spec.digits - width]
    if check(body) != keyed[spec.digits - width:]:
        return None
    item_id = int(body)
    return item_id if item_id > 0 else None
