"""What plugins know about a customer's recent context (pages viewed, pre-reservations...), gathered
through ``ccctl_customer_context`` so that core and the call-back screen need not import them."""

from __future__ import annotations

from typing import Any

from ccctl.context import TenantContext


def customer_context(ctx: TenantContext, customer, limit: int = 10) -> list[dict[str, Any]]:
    """Every enabled plugin's entries for ``customer``, newest first, at most ``limit``."""
    if customer is None:
        return []
    entries = [entry for found in ctx.hook("ccctl_customer_context")(customer=customer, ctx=ctx)
               for entry in found or []]
    entries.sort(key=lambda e: e["time"], reverse=True)
    return [{"time": e["time"], "source": e.get("source", ""), "what": e.get("what", ""),
             "detail": e.get("detail", "")} for e in entries[:limit]]
