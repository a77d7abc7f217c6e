"""The postal mailing batch: postal requests not exported yet, grouped by address, marked exported."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import utcnow
from ccctl_fulfil.models import BATCHED, EXPORTED, FulfilRequest


def take_batch(session: Session, tenant, day: date) -> list[dict[str, str]]:
    """CSV lines of every batched request created before the end of ``day`` (tenant's zone); each
    request is marked exported on ``day``, so it is never in another batch."""
    end = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(tenant.timezone or "UTC"))
    rows = list(session.scalars(select(FulfilRequest).where(
        FulfilRequest.tenant_id == tenant.id, FulfilRequest.method == "post", FulfilRequest.state == BATCHED,
        FulfilRequest.created_at < end).order_by(FulfilRequest.id).with_for_update()))
    lines: dict[tuple, dict[str, str]] = {}
    now = utcnow()
    for row in rows:
        address = {key: str(row.recipient.get(key, "")) for key in ("name", "address", "address2", "postcode",
                                                                    "city", "country")}
        key = tuple(" ".join(v.casefold().split()) for v in address.values())
        line = lines.setdefault(key, {**address, "documents": "", "requests": ""})
        line["documents"] = "+".join(filter(None, [line["documents"], f"{row.document}-{row.language}"]))
        line["requests"] = "+".join(filter(None, [line["requests"], str(row.id)]))
        row.state, row.exported_at, row.export_date = EXPORTED, now, day
    return list(lines.values())
