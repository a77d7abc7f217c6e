"""``customer import``: read a file, match every row by the tenant's rules, write in bulk, report.

The same code runs for ``--dry-run`` (the caller rolls back) and for a real run, so both
print the same summary. Rows are matched a chunk at a time against the database, which
already holds the earlier chunks: duplicates inside one file meet like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl.identity.matching import Outcome, Person, decide
from ccctl.identity.rows import prepare
from ccctl.identity.rules import CustomerRules, rules_for
from ccctl.identity.sources import RowError, Source, csv_rows, jsonl_rows, map_header, sniff_format
from ccctl.identity.store import load_book, write_book

CHUNK = 5000


@dataclass
class ImportReport:
    source: str
    encoding: str = "utf-8"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    invalid: int = 0
    errors: list[str] = field(default_factory=list)       # "file:line: column: reason", the first `keep`
    details: list[dict[str, Any]] = field(default_factory=list)  # creations, updates and conflicts, the first `keep`
    keep: int = 1000

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "conflicts": self.conflicts, "invalid": self.invalid}

    def add(self, outcome: Outcome) -> None:
        if outcome.action == "conflict":
            self.conflicts += 1
        else:
            setattr(self, outcome.action, getattr(self, outcome.action) + 1)
        if outcome.action != "unchanged" and len(self.details) < self.keep:
            self.details.append(outcome_row(outcome))


def outcome_row(outcome: Outcome) -> dict[str, Any]:
    person = outcome.person
    row: dict[str, Any] = {"line": outcome.where, "action": outcome.action}
    if outcome.action == "created":
        row.update(name=person.name, emails=person.new_emails, phones=person.new_phones)
    else:
        row["customer"] = _identity(person) if person is not None else None
    if outcome.action == "conflict":
        incoming = outcome.row
        row["row"] = {"name": incoming.name, "emails": incoming.emails, "phones": incoming.phones, **incoming.keys}
        row["others"] = [_identity(p) for p in outcome.others]
        row["why"] = outcome.why
        row["resolution"] = outcome.resolution or "not applied"
    if outcome.changes:
        row["changes"] = outcome.changes
    return row


def _identity(person: Person) -> dict[str, Any]:
    return {"id": person.id, "name": person.name}


def read_file(source: Source, fmt: str | None, mapping: dict[str, str], explicit: dict[str, str],
              rules: CustomerRules) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """(line, raw row) pairs, columns renamed by the tenant's ``import_map`` and ``--map``."""
    fmt = fmt or sniff_format(source.name, source.text)
    if fmt == "jsonl":
        renames = {**mapping, **explicit}
        for line, row in jsonl_rows(source):
            yield line, {renames.get(k, k): v for k, v in row.items()}
        return

    def fields_of(header: list[str]) -> list[str]:
        fields = map_header(header, mapping, explicit, source.name)
        wanted = {"name", "email", "emails", "mail", "phone", "phones", "mobile", "telephone", *rules.external_keys}
        if not wanted & set(fields):
            raise _no_identity(source.name, header)
        return fields

    yield from csv_rows(source, fields_of)


def _no_identity(name: str, header: list[str]):
    from ccctl.errors import InputError

    return InputError(f"{name}:1: the header has no name, email or phone column (found: {', '.join(header)}); "
                      "map one with --map, e.g. --map Nom=name,Téléphone=phone")


def import_rows(session: Session, tenant: Tenant, rows: Iterable[tuple[int, dict[str, Any] | RowError]],
                source: str, on_conflict: str | None = None, actor: str | None = None,
                progress=None, keep: int = 1000) -> ImportReport:
    """Match and store every row; the caller commits or rolls back (dry run, refused conflicts)."""
    rules = rules_for(tenant)
    index_keys = set(rules.index_keys)
    region = tenant.default_region
    report = ImportReport(source, keep=keep)
    chunk = []
    for line, raw in rows:
        try:
            if isinstance(raw, RowError):
                raise raw
            chunk.append(prepare(raw, rules, region, source, line))
        except RowError as exc:
            report.invalid += 1
            if len(report.errors) < keep:
                report.errors.append(exc.message)
        if len(chunk) >= CHUNK:
            _import_chunk(session, tenant, chunk, rules, index_keys, on_conflict, actor, source, report)
            if progress is not None:
                progress(len(chunk))
            chunk = []
    if chunk:
        _import_chunk(session, tenant, chunk, rules, index_keys, on_conflict, actor, source, report)
        if progress is not None:
            progress(len(chunk))
    session.flush()
    return report


def _import_chunk(session, tenant, chunk, rules, index_keys, on_conflict, actor, source, report) -> None:
    book = load_book(session, tenant, chunk)
    touched: dict[int, Person] = {}
    for row in chunk:
        outcome = decide(row, book, rules, on_conflict, index_keys)
        if outcome.person is not None:
            touched[id(outcome.person)] = outcome.person
        report.add(outcome)
    write_book(session, tenant, book, index_keys, list(touched.values()), actor, source)
