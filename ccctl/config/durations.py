"""Durations in tenant YAML (``"30m"``, ``"4h"``, ``"2d"``): a leaf module, so queue settings and the
tenant model can both use it without importing each other."""

from __future__ import annotations

import re

DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)\s*$")


def parse_duration(text: str | int | float) -> int:
    """``"4h"``, ``"30m"``, ``"2d"`` (or plain minutes) → minutes."""
    if isinstance(text, int | float):
        return int(text)
    match = DURATION.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a duration like 30m, 4h or 2d")
    amount, unit = float(match.group(1)), match.group(2)
    return int(amount * {"m": 1, "min": 1, "h": 60, "d": 1440}[unit])
