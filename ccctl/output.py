"""One output layer for every listing: table, json, jsonl or csv.

Tables show times in the tenant's time zone when one is given (``tz``), otherwise in UTC,
always with the zone named (``ccctl.clock``); JSON, JSONL and CSV keep ISO 8601 with its
offset so that scripts never guess. Text from outside (names, subjects, bodies, notes)
reaches an agent's terminal only through here: on tables and ``key: value`` views every
control character a terminal would act on is shown as an escape (``\x1b``); JSON, JSONL
and CSV stay exact.  csv/json/tabulate are imported
inside the functions: every command module imports this one, ``ccctl --help`` included.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import click

FORMATS = ("table", "json", "jsonl", "csv")
# What a terminal acts on: C0 controls but tab and newline (ESC starts CSI/OSC sequences: screen
# clears, title changes, OSC 8 links), DEL, C1 (0x9b is a one-byte CSI), and the bidi controls
# and line separators that reorder or break what follows (Trojan Source).
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                             "\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every terminal control shown as an escape (``\x1b[2J`` prints as text)."""
    return TERMINAL_UNSAFE.sub(_escape, text)


def output_options(func):
    """Add ``--format`` to a listing command (JSON by default when stdout is not a terminal)."""
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default=None,
        help="Output format (default: table on a terminal, json otherwise).",
    )(func)


def resolve_format(fmt: str | None) -> str:
    if fmt:
        return fmt
    return "table" if sys.stdout.isatty() else "json"


def _jsonable(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # money and rates: exact, as a string; a float would round 0.1 + 0.2
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def to_json(data: Any, indent: int | None = 2) -> str:
    import json

    return json.dumps(data, default=_jsonable, ensure_ascii=False, indent=indent)


def _cell(value: Any, tz=None) -> str:
    """A value as a table shows it: times in ``tz``, lists joined, text terminal-safe."""
    return terminal_safe(_plain_cell(value, tz))


def _plain_cell(value: Any, tz=None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        from ccctl.clock import shown

        return shown(value, tz)  # the zone always named: the tenant's, or UTC
    if isinstance(value, list | tuple | set):
        return ", ".join(_plain_cell(v, tz) for v in value)
    if isinstance(value, dict):
        return to_json(value, indent=None)
    return str(value)


def _zone(tz):
    """``tz`` as a tzinfo: accepts None, a tzinfo or an IANA name like 'Europe/Paris'."""
    if tz is None or not isinstance(tz, str):
        return tz
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def emit(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None,
         fmt: str | None = None, file=None, tz=None) -> None:
    """Write ``rows`` (dicts) in ``fmt``; ``columns`` picks and orders the keys shown.

    ``tz`` (an IANA name or tzinfo) is the zone for times on tables; other formats stay UTC.
    """
    file = file or sys.stdout
    rows = list(rows)
    fmt = resolve_format(fmt)
    if columns is None:
        columns = list(rows[0].keys()) if rows else []
    picked = [{c: row.get(c) for c in columns} for row in rows]
    if fmt == "json":
        file.write(to_json(picked) + "\n")
    elif fmt == "jsonl":
        for row in picked:
            file.write(to_json(row, indent=None) + "\n")
    elif fmt == "csv":
        import csv

        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(columns)
        for row in picked:
            writer.writerow([_csv_cell(row[c]) for c in columns])
    else:
        from tabulate import tabulate

        if not picked:
            click.echo("(nothing to show)", file=file, err=file is sys.stderr)
            return
        zone = _zone(tz)
        file.write(tabulate([[_cell(r[c], zone) for c in columns] for r in picked],
                            headers=[terminal_safe(str(c)) for c in columns]) + "\n")


def _csv_cell(value: Any) -> str:
    # CSV is for scripts: full ISO times, like JSON.
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _plain_cell(value)


def _nested_table(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(v, Mapping) for v in value)


def emit_object(obj: Mapping[str, Any], fmt: str | None = None, file=None, tz=None) -> None:
    """Write one record: ``key: value`` lines on a table, the object itself otherwise.

    On a table, a list of dicts (a timeline, open items) is printed as a nested table.
    """
    file = file or sys.stdout
    fmt = resolve_format(fmt)
    if fmt == "table":
        zone = _zone(tz)
        width = max((len(k) for k in obj), default=0)
        for key, value in obj.items():
            key = terminal_safe(str(key))
            if isinstance(value, list) and value and isinstance(value[0], Mapping):
                file.write(f"\n{key}:\n")
                emit(value, fmt="table", file=file, tz=zone)
            else:
                shown = "(none)" if value == [] else _cell(value, zone)
                file.write(f"{key.ljust(width)}  {shown}\n")
    elif fmt == "jsonl":
        file.write(to_json(obj, indent=None) + "\n")
    elif fmt == "csv":
        # One row: a list of values (emails, skills) is one cell joined as listings join it; a
        # nested table (a timeline) has no place in one row and is left to json.
        emit([{k: v for k, v in obj.items() if not _nested_table(v)}], fmt="csv", file=file)
    else:
        file.write(to_json(obj) + "\n")
