"""The site context of a customer: their latest site events as compact lines for the agent's screen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ccctl.context import TenantContext
from ccctl.db.models import Interaction

LABELS = {"pre_reservation": "pre-reservation", "order": "order", "quote": "quote", "page_view": "page viewed",
          "info_request": "information request"}
SHOWN = ("product", "reference", "amount", "currency", "destination", "departure", "travellers", "referral",
         "url", "message")


def site_context(ctx: TenantContext, customer, limit: int) -> list[dict[str, Any]]:
    rows = ctx.session.scalars(
        select(Interaction).where(Interaction.tenant_id == ctx.tenant.id, Interaction.customer_id == customer.id,
                                  Interaction.channel == "site", Interaction.direction == "in")
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit))
    return [{"time": row.occurred_at, "source": "site", "what": LABELS.get(row.payload.get("type"), "event"),
             "detail": detail(row.payload.get("data") or {})} for row in rows]


def detail(data: dict[str, Any], width: int = 160) -> str:
    """'Circuit Japon · 2450 EUR · asie · departure 2027-04-02 · referral PARTNER42' (cut at ``width``)."""
    parts = []
    for key in SHOWN:
        value = data.get(key)
        if value in (None, ""):
            continue
        if key == "amount":
            parts.append(f"{value:g} {data.get('currency') or ''}".strip() if isinstance(value, int | float) else str(value))
        elif key == "currency":
            continue
        elif key in ("product", "destination", "reference", "url", "message"):
            parts.append(" ".join(str(value).split()))
        else:
            parts.append(f"{key} {value}")
    text = "".join(ch if ch.isprintable() else " " for ch in " · ".join(parts))  # no terminal escapes
    return text if len(text) <= width else text[: width - 1] + "…"
