"""Customer files as offices export them: encoding, delimiter and column names worked out, rows numbered.

Everything here is pure (bytes or text in, rows out) so that it can be property-tested.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ccctl.errors import InputError

DELIMITERS = (",", ";", "\t")
# Encodings charset-normalizer may pick when a file is not UTF-8: what Excel and older tools write.
LEGACY = ["cp1252", "latin_1", "iso8859_15", "mac_roman", "cp850", "utf_16"]
FIELD = re.compile(r"^[\w.-]+$")  # a field a column maps to: name, phone, policy, code_postal...
csv.field_size_limit(1 << 20)


@dataclass
class Source:
    """A decoded file: its name for messages, its text, and the encoding it was read with."""

    name: str
    text: str
    encoding: str


def decode(data: bytes, name: str, encoding: str | None = None) -> Source:
    """Bytes → text: ``encoding`` when given; else a BOM, else UTF-8, else the best legacy guess."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"--encoding: unknown encoding '{encoding}' (try utf-8, cp1252, latin-1)") from None
        return Source(name, _strict(data, encoding, name), encoding)
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return Source(name, _strict(data, codec, name), codec)
    try:
        return Source(name, data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1 << 20], cp_isolation=LEGACY).best()
    if best is None:
        raise InputError(f"{name}: cannot tell the file's encoding; pass --encoding (e.g. cp1252 or latin-1)")
    return Source(name, _strict(data, best.encoding, name), best.encoding)


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{name}:{line}: byte 0x{data[exc.start]:02x} is not valid {encoding}; "
                         "pass the right --encoding (e.g. cp1252)") from None


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: whichever of , ; TAB occurs most outside quotes (',' on a tie)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def parse_map(text: str) -> dict[str, str]:
    """``"Nom=name,Téléphone=phone"`` → ``{"Nom": "name", "Téléphone": "phone"}``."""
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        column, sep, target = part.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not FIELD.match(target):
            raise InputError(f"--map: '{part.strip()}' is not COLUMN=FIELD (e.g. --map Nom=name,Téléphone=phone)")
        if column in mapping:
            raise InputError(f"--map: column '{column}' is mapped twice")
        mapping[column] = target
    return mapping


def map_header(header: list[str], mapping: dict[str, str], explicit: dict[str, str], name: str) -> list[str]:
    """Field names for the file's columns: ``explicit`` (--map) over ``mapping`` (tenant YAML),
    matched exactly, then case-insensitively; other columns keep their (trimmed) name."""
    cleaned = [column.strip().lstrip("\ufeff") for column in header]
    folded = {column.casefold(): column for column in cleaned}
    for column in explicit:
        if column not in cleaned and column.casefold() not in folded:
            raise InputError(f"{name}:1: --map names column '{column}', which is not in the header "
                             f"(found: {', '.join(cleaned)})")
    rules = {**mapping, **explicit}
    rules_folded = {column.casefold(): target for column, target in rules.items()}
    fields = [rules.get(column) or rules_folded.get(column.casefold()) or column for column in cleaned]
    seen: dict[str, int] = {}
    for index, field in enumerate(fields):
        if field in seen:
            raise InputError(f"{name}:1: columns '{cleaned[seen[field]]}' and '{cleaned[index]}' both give "
                             f"'{field}'; map one of them to another field with --map")
        seen[field] = index
    return fields


def csv_rows(source: Source, fields_of, delimiter: str | None = None) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """(line number, {field: value}) per record, or (line number, RowError) for a malformed one;
    ``fields_of(header)`` names the columns."""
    reader = csv.reader(io.StringIO(source.text, newline=""), delimiter=delimiter or sniff_delimiter(source.text))
    header: list[str] | None = None
    fields: list[str] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, fields = record, fields_of(record)
                continue
            if len(record) > len(fields) and any(cell.strip() for cell in record[len(fields):]):
                yield line, RowError(source.name, line, f"column {len(fields) + 1}",
                                     f"{len(record)} fields but the header has {len(fields)} "
                                     "(a delimiter inside an unquoted value?)")
                continue
            yield line, {field: cell for field, cell in zip(fields, record)}
    except csv.Error as exc:
        raise InputError(f"{source.name}:{reader.line_num}: unreadable CSV ({exc})") from None
    if header is None:
        raise InputError(f"{source.name}:1: the file is empty (a header line is needed)")


def jsonl_rows(source: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(source.text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source.name}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(row, dict):
            raise InputError(f"{source.name}:{number}: each line must be a JSON object")
        yield number, row


def sniff_format(name: str, text: str) -> str:
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


class RowError(InputError):
    """A bad row: ``file:line: column: reason``."""

    def __init__(self, file: str, line: int, column: str | None, reason: str) -> None:
        self.line = line
        where = f"{column}: " if column else ""
        super().__init__(f"{file}:{line}: {where}{reason}")
