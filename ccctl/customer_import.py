"""Reading customer-shaped files, kept for callers outside ``customer import`` (call-back batches).

The import itself lives in ``ccctl.identity`` (sources, rows, matching, store, importer).
"""

from __future__ import annotations

from typing import IO, Any

from ccctl.errors import InputError


def read_rows(stream: IO[str], fmt: str, source: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from a text stream; ``fmt`` is csv or jsonl. A malformed line stops everything."""
    from ccctl.identity.sources import RowError, Source, csv_rows, jsonl_rows, map_header

    text = Source(source, stream.read().lstrip("\ufeff"), "utf-8")
    if fmt == "jsonl":
        return list(jsonl_rows(text))
    rows = []
    for line, row in csv_rows(text, lambda header: map_header(header, {}, {}, source)):
        if isinstance(row, RowError):
            raise InputError(row.message)
        rows.append((line, row))
    return rows
