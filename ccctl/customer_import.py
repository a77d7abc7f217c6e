"""Bulk customer import from CSV or JSONL: validate every row first, then upsert by contact point."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy.orm import Session

from ccctl.contacts import name_key
from ccctl.customers import add_customer, contact_values, owner_of
from ccctl.db.models import ContactPoint, Tenant
from ccctl.errors import InputError

EMAIL_KEYS = ("email", "emails", "mail")
PHONE_KEYS = ("phone", "phones", "mobile", "telephone")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def read_rows(stream: IO[str], fmt: str, source: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs; ``fmt`` is csv or jsonl."""
    if fmt == "csv":
        reader = csv.DictReader(stream)
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise InputError(f"{source}:1: the CSV header must have a 'name' column (found: {reader.fieldnames})")
        return [(reader.line_num, row) for row in reader]
    rows = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(row, dict):
            raise InputError(f"{source}:{number}: each line must be a JSON object")
        rows.append((number, row))
    return rows


def _many(row: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    for key in keys:
        value = row.get(key)
        if isinstance(value, list):
            values += [str(v) for v in value]
        elif value:
            values += [v for v in str(value).replace(";", ",").split(",")]
    return [v.strip() for v in values if v and v.strip()]


def import_customers(session: Session, tenant: Tenant, rows: list[tuple[int, dict[str, Any]]],
                     source: str, skip_invalid: bool = False, progress=None) -> ImportReport:
    """Upsert: a row whose email or phone is known updates that customer, else creates one."""
    report = ImportReport()
    prepared = []
    for number, row in rows:
        try:
            name = str(row.get("name") or "").strip()
            points = contact_values(tenant, _many(row, EMAIL_KEYS), _many(row, PHONE_KEYS))
            if not name and not points:
                raise InputError("needs a name, an email or a phone")
            # What PostgreSQL refuses and SQLite stores: refused alike, before anything is written.
            if any("\x00" in str(v) for v in row.values() if v is not None):
                raise InputError("holds a NUL character: remove it")
            if len(name) > 200 or any(len(v) > 320 for _k, v in points):
                raise InputError("a name is at most 200 characters, an email 320")
        except InputError as exc:
            report.errors.append(f"{source}:{number}: {exc.message}")
            continue
        extra = {k: v for k, v in row.items() if k not in ("name",) + EMAIL_KEYS + PHONE_KEYS and v not in ("", None)}
        prepared.append((name, points, extra))
    if report.errors and not skip_invalid:
        return report
    for name, points, extra in prepared:
        owners = {owner_of(session, tenant, k, v) for k, v in points} - {None}
        if len(owners) > 1:
            ids = ", ".join(str(o.id) for o in owners)
            report.errors.append(f"{source}: {name}: contact points belong to different customers ({ids}); merge them first")
            continue
        if not owners:
            add_customer(session, tenant, name, [v for k, v in points if k == "email"],
                         [v for k, v in points if k == "phone"], extra)
            report.created += 1
        else:
            customer = owners.pop()
            known = {(c.kind, c.value) for c in customer.contacts}
            new_points = [p for p in points if p not in known]
            changed = bool(new_points) or (name and name != customer.name) or any(
                customer.attributes.get(k) != v for k, v in extra.items())
            for kind, value in new_points:
                customer.contacts.append(ContactPoint(tenant_id=tenant.id, kind=kind, value=value))
            if name:
                customer.name, customer.name_key = name, name_key(name)
            customer.attributes = {**customer.attributes, **extra}
            report.updated += 1 if changed else 0
            report.unchanged += 0 if changed else 1
        if progress is not None:
            progress.update(1)
    session.flush()
    return report


def sniff_format(name: str, head: str) -> str:
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith(".csv"):
        return "csv"
    return "jsonl" if head.lstrip().startswith("{") else "csv"


def open_source(stream: IO[str]) -> tuple[str, IO[str]]:
    text = stream.read()
    return text[:200], io.StringIO(text)
