"""Contacts and conversions per referral or partner code, across web, email and phone.

A contact carries a code when its work item's ``attributes`` or its interaction's
``payload`` holds one of ``CODE_KEYS`` (the web form, an email link's landing page or
an IVR/call-back form put it there). A work item counts once, whatever the number of
interactions on it; an interaction without an item counts on its own. A conversion
is an item closed with one of the conversion outcomes (``sale``, ``booked``,
``converted`` unless ``--outcome`` says otherwise).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import Interaction, Tenant, WorkItem
from ccctl.reports.period import Period

CODE_KEYS = ("referral", "referral_code", "partner", "partner_code", "ref")
CONVERSIONS = ("sale", "booked", "converted")
# Channels grouped the way a marketing team reads them.
FAMILY = {"selfhelp": "web", "web": "web", "form": "web", "email": "email",
          "callback": "phone", "phone": "phone", "voice": "phone", "sms": "phone"}
FAMILIES = ("web", "email", "phone")


def code_of(data: dict[str, Any] | None) -> str | None:
    for key in CODE_KEYS:
        value = (data or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().upper()
    return None


def attribution_rows(session: Session, tenant: Tenant, period: Period,
                     conversions: tuple[str, ...] = CONVERSIONS) -> list[dict[str, Any]]:
    contacts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    converted: dict[str, int] = defaultdict(int)
    item_codes: dict[int, str] = {}
    items = session.execute(select(WorkItem.id, WorkItem.channel, WorkItem.attributes, WorkItem.outcome).where(
        WorkItem.tenant_id == tenant.id, WorkItem.created_at >= period.start, WorkItem.created_at < period.end))
    for item_id, channel, attributes, outcome in items:
        code = code_of(attributes)
        if code:
            item_codes[item_id] = code
            contacts[code][FAMILY.get(channel, "other")] += 1
            converted[code] += outcome in conversions
    interactions = session.execute(select(Interaction.item_id, Interaction.channel, Interaction.payload).where(
        Interaction.tenant_id == tenant.id, Interaction.occurred_at >= period.start,
        Interaction.occurred_at < period.end))
    for item_id, channel, payload in interactions:
        code = code_of(payload)
        if not code or item_id in item_codes:
            continue
        if item_id is not None:  # an item whose code only its interactions carry: count the item once
            item_codes[item_id] = code
            outcome = session.scalar(select(WorkItem.outcome).where(
                WorkItem.id == item_id, WorkItem.tenant_id == tenant.id))
            converted[code] += outcome in conversions
        contacts[code][FAMILY.get(channel, "other")] += 1
    rows = []
    for code in sorted(contacts, key=lambda c: (-sum(contacts[c].values()), c)):
        total = sum(contacts[code].values())
        rows.append({"code": code, "contacts": total, **{f: contacts[code][f] for f in (*FAMILIES, "other")},
                     "conversions": converted[code],
                     "conversion_pct": round(100 * converted[code] / total, 1) if total else None})
    return rows


COLUMNS = ["code", "contacts", *FAMILIES, "other", "conversions", "conversion_pct"]
