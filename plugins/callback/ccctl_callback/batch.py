"""JSONL batches of call-back requests: one object a line, each taken (or refused) on its own."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ccctl.context import TenantContext
from ccctl.errors import InputError
from ccctl_callback.requests import RequestInput, create_request, describe_when

KEYS = {"phone", "name", "reason", "slot", "now", "context", "ref", "referral_code", "key"}


def read_batch(stream, name: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a line that is not a JSON object, or has an
    unknown key, stops everything."""
    from ccctl.customer_import import read_rows

    lines = read_rows(stream, "jsonl", name)
    for number, record in lines:
        unknown = sorted(set(record) - KEYS)
        if unknown:
            raise InputError(f"{name}:{number}: unknown key '{unknown[0]}' (known: {', '.join(sorted(KEYS))})")
    return lines


def line_key(record: dict[str, Any]) -> str:
    """The line's own key, else one derived from its content: re-running a file creates nothing twice."""
    if record.get("key"):
        return str(record["key"])
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False)
    return "batch-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def take_line(ctx: TenantContext, name: str, number: int, record: dict[str, Any]) -> dict[str, Any]:
    """Create the line's request; a row for the report (status created, existing or error)."""
    from ccctl.errors import DomainError
    from ccctl_callback.slots import parse_slot

    row: dict[str, Any] = {"line": number, "status": "error", "request": None, "item": None, "slot": None,
                           "error": None}
    try:
        if not record.get("phone"):
            raise InputError("key 'phone' is missing")
        if bool(record.get("slot")) == bool(record.get("now")):
            raise InputError("give exactly one of 'slot' or 'now': true")
        if not isinstance(record.get("context", {}), dict):
            raise InputError("key 'context' must be a JSON object")
        data = RequestInput(
            phone=str(record["phone"]), name=str(record.get("name") or ""), reason=str(record.get("reason") or ""),
            slot=parse_slot(str(record["slot"]), ctx.tenant) if record.get("slot") else None,
            context=record.get("context") or {}, source="batch", ref=line_key(record),
            referral_code=record.get("ref") or record.get("referral_code"),
        )
        request, created = create_request(ctx, data)
    except DomainError as exc:
        row["error"] = f"{name}:{number}: {exc.message}"
        return row
    row.update(status="created" if created else "existing", request=request.id, item=request.item_id,
               slot=describe_when(ctx.tenant, request))
    return row
