"""Invoice lines for one month per tenant, priced with the ``billing`` rates of its YAML.

Money is ``Decimal`` throughout. Each line's amount is quantity × unit price rounded
half-up to the currency's cents; the invoice total is the sum of the rounded lines
(what a reader can add up on paper). Usage:

* handled items: items closed in the month, per channel priced in ``per_item``
  (outcomes listed in ``free_outcomes`` are not billed);
* SMS segments and call-back minutes: what plugins report through
  ``ccctl_report_usage`` (units ``sms_segment``, ``callback_minute``); for a unit no
  plugin reports, the history stands in: ``payload.segments`` of outbound ``sms``
  interactions, and ``payload.duration_seconds`` of ``callback`` interactions, each
  call rounded up to the started minute;
* further units a plugin reports are priced by ``billing.extra``.
"""

from __future__ import annotations

import math
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ccctl.context import App
from ccctl.db.models import Interaction, Tenant, WorkItem
from ccctl.errors import CcctlError
from ccctl.plugins import call_hook
from ccctl.reports.period import month_period

CENT = Decimal("0.01")
COLUMNS = ["tenant", "line", "quantity", "unit_price", "amount", "currency"]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def invoice(app: App, session: Session, tenant: Tenant, month: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(lines with a final ``total`` line, notes about usage left unpriced) for ``tenant`` and ``month``."""
    from ccctl.config.model import Billing

    rates = Billing.model_validate(tenant.config.get("billing") or {})
    period = month_period(month, tenant.timezone)
    notes: list[str] = []
    if not tenant.config.get("billing"):
        notes.append(f"{tenant.slug}: no 'billing' section in its YAML: nothing priced")
    lines: list[tuple[str, Decimal, Decimal]] = []
    if rates.monthly_fee:
        lines.append((f"monthly fee {month}", Decimal(1), rates.monthly_fee))
    for channel, count in sorted(handled_items(session, tenant, period, rates.free_outcomes).items()):
        if channel in rates.per_item:
            lines.append((f"handled {channel} items", Decimal(count), rates.per_item[channel]))
        else:
            notes.append(f"{tenant.slug}: {count} handled {channel} item(s) with no per_item rate")
    usage = usage_by_unit(app, session, tenant, period)
    for unit, rate, label in (("sms_segment", rates.per_sms_segment, "SMS segments"),
                              ("callback_minute", rates.per_callback_minute, "call-back minutes")):
        quantity = usage.pop(unit, Decimal(0))
        if quantity and rate:
            lines.append((label, quantity, rate))
        elif quantity:
            notes.append(f"{tenant.slug}: {quantity} {label} with no rate")
    for unit, quantity in sorted(usage.items()):
        if unit in rates.extra:
            lines.append((unit, quantity, rates.extra[unit]))
        else:
            notes.append(f"{tenant.slug}: {quantity} '{unit}' reported by a plugin with no rate in billing.extra")
    rows = [{"tenant": tenant.slug, "line": label, "quantity": quantity, "unit_price": price,
             "amount": money(quantity * price), "currency": rates.currency} for label, quantity, price in lines]
    rows.append({"tenant": tenant.slug, "line": "total", "quantity": None, "unit_price": None,
                 "amount": sum((r["amount"] for r in rows), Decimal("0.00")), "currency": rates.currency})
    return rows, notes


def handled_items(session: Session, tenant: Tenant, period, free_outcomes: list[str]) -> Counter[str]:
    query = (select(WorkItem.channel, func.count()).where(
        WorkItem.tenant_id == tenant.id, WorkItem.closed_at >= period.start, WorkItem.closed_at < period.end)
        .group_by(WorkItem.channel))
    if free_outcomes:
        query = query.where(WorkItem.outcome.is_(None) | WorkItem.outcome.not_in(free_outcomes))
    return Counter(dict(session.execute(query).all()))


def usage_by_unit(app: App, session: Session, tenant: Tenant, period) -> dict[str, Decimal]:
    """Usage reported by every loaded plugin (enabled now or not: it may have worked this month)."""
    ctx = app.context(session, tenant)
    totals: dict[str, Decimal] = {}
    try:
        results = call_hook(ctx, "ccctl_report_usage", start=period.start, end=period.end)
    except CcctlError as exc:
        raise CcctlError(f"{tenant.slug}: {exc}") from exc
    for _plugin, result in results:
        for line in result or ():
            unit = str(line.get("unit") or "")
            try:
                quantity = Decimal(str(line.get("quantity")))
            except InvalidOperation:
                raise CcctlError(f"a plugin reported usage '{unit}' with quantity {line.get('quantity')!r}") from None
            if not unit or quantity < 0:
                raise CcctlError(f"a plugin reported an invalid usage line: {line!r}")
            totals[unit] = totals.get(unit, Decimal(0)) + quantity
    if "sms_segment" not in totals:
        totals["sms_segment"] = Decimal(sum(_payload_numbers(session, tenant, period, "sms", "segments", "out")))
    if "callback_minute" not in totals:
        seconds = _payload_numbers(session, tenant, period, "callback", "duration_seconds", None)
        totals["callback_minute"] = Decimal(sum(math.ceil(s / 60) for s in seconds if s > 0))
    return {unit: quantity for unit, quantity in totals.items() if quantity}


def _payload_numbers(session, tenant, period, channel: str, key: str, direction: str | None) -> list[float]:
    query = select(Interaction.payload).where(
        Interaction.tenant_id == tenant.id, Interaction.channel == channel,
        Interaction.occurred_at >= period.start, Interaction.occurred_at < period.end)
    if direction:
        query = query.where(Interaction.direction == direction)
    values = []
    for payload in session.scalars(query):
        value = (payload or {}).get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            values.append(value)
    return values
