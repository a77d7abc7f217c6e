"""Reading a schedule file (JSONL or CSV) of messages to queue; every error names its line and column.

Columns / keys: ``to`` (required), ``template`` or ``body``, ``data`` (a JSON object; in CSV also
``data.NAME`` columns), ``send_at`` (ISO 8601; without an offset: the tenant's time zone),
``key`` (or ``idempotency_key``; default: derived from the row, so re-running a file is harmless),
``kind`` (transactional | marketing), ``locale``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ccctl.errors import InputError

COLUMNS = {"to", "template", "body", "data", "send_at", "key", "idempotency_key", "kind", "locale"}


@dataclass
class ScheduleRow:
    line: int
    fields: dict[str, Any]


def parse_when(text: str | None, zone: str, where: str) -> datetime | None:
    """ISO 8601 date-time; naive ones are in ``zone``; empty means now (None)."""
    if text is None or not str(text).strip():
        return None
    try:
        moment = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: '{text}' is not a date-time like 2026-11-24T09:30 or 2026-11-24T09:30+01:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def read_rows(text: str, source: str) -> list[ScheduleRow]:
    """JSONL when the first non-blank character is ``{``, else CSV with a header line."""
    stripped = text.lstrip()
    if not stripped:
        raise InputError(f"{source}: the file is empty")
    rows = _jsonl(text, source) if stripped.startswith("{") else _csv(text, source)
    for row in rows:
        unknown = set(row.fields) - COLUMNS
        if unknown:
            raise InputError(f"{source}:{row.line}: unknown column '{sorted(unknown)[0]}' "
                             f"(known: {', '.join(sorted(COLUMNS))}, data.NAME)")
        if not str(row.fields.get("to") or "").strip():
            raise InputError(f"{source}:{row.line}: column 'to': required")
        if not isinstance(row.fields.get("data") or {}, dict):
            raise InputError(f"{source}:{row.line}: column 'data': must be a JSON object")
    return rows


def _jsonl(text: str, source: str) -> list[ScheduleRow]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{source}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise InputError(f"{source}:{number}: each line must be a JSON object")
        rows.append(ScheduleRow(number, value))
    return rows


def _csv(text: str, source: str) -> list[ScheduleRow]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "to" not in reader.fieldnames:
        raise InputError(f"{source}:1: the CSV header must name a 'to' column (or give JSON lines)")
    rows = []
    for record in reader:
        line = reader.line_num
        if None in record:
            raise InputError(f"{source}:{line}: more values than header columns")
        fields: dict[str, Any] = {}
        data: dict[str, Any] = {}
        for key, value in record.items():
            if key.startswith("data."):
                data[key[5:]] = value
            elif value not in (None, ""):
                fields[key] = value
        if "data" in fields:
            try:
                fields["data"] = json.loads(fields["data"])
            except ValueError as exc:
                raise InputError(f"{source}:{line}: column 'data': not valid JSON ({exc.msg})") from None
        if data:
            if not isinstance(fields.get("data", {}), dict):
                raise InputError(f"{source}:{line}: column 'data': must be a JSON object")
            fields["data"] = {**fields.get("data", {}), **data}
        rows.append(ScheduleRow(line, fields))
    return rows
