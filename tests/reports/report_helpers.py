"""Rows with chosen timestamps and a tenant with billing rates, for report and privacy tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from ccctl.db.models import Interaction, WorkItem

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PARIS = ZoneInfo("Europe/Paris")

BILLING_TENANT = """\
tenant: voyages-lumiere
name: Voyages Lumière
timezone: Europe/Paris
business_hours:
  mon-fri: ["09:00-13:00", "14:00-19:00"]
queues:
  - name: reservations
    sla: 4h
  - name: apres-vente
    sla: 24h
plugins:
  email: {enabled: true}
  callback: {enabled: true}
billing:
  currency: EUR
  monthly_fee: 1500
  per_item: {email: "2.10", callback: "3.333"}
  per_sms_segment: "0.065"
  per_callback_minute: "0.45"
  free_outcomes: [spam]
  extra: {fax_page: "0.125"}
"""


def paris(*args) -> datetime:
    """A Paris wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=PARIS).astimezone(timezone.utc)


def add_item(session, tenant, channel="email", queue="reservations", *, created, sla=timedelta(hours=4),
             claimed=None, closed=None, outcome=None, customer_id=None, attributes=None, subject="",
             body="", external_ref=None) -> WorkItem:
    item = WorkItem(tenant_id=tenant.id, channel=channel, queue=queue, customer_id=customer_id, subject=subject,
                    body=body, created_at=created, due_at=created + sla, claimed_at=claimed, closed_at=closed,
                    state="closed" if closed else ("claimed" if claimed else "open"), outcome=outcome,
                    attributes=attributes or {}, external_ref=external_ref, skills=[])
    session.add(item)
    session.flush()
    return item


def add_interaction(session, tenant, channel, *, at, direction="in", item=None, customer_id=None,
                    summary="", payload=None, external_id=None) -> Interaction:
    row = Interaction(tenant_id=tenant.id, channel=channel, direction=direction, occurred_at=at,
                      item_id=item.id if item is not None else None, customer_id=customer_id, summary=summary,
                      payload=payload or {}, external_id=external_id)
    session.add(row)
    session.flush()
    return row


def runner_with(ccctl_with, plugin, name: str):
    """A test CLI runner (the shared ``ccctl_with`` fixture) with one more plugin loaded under ``name``."""
    from ccctl.plugins import get_plugin_manager

    pm = get_plugin_manager()
    pm.register(plugin, name=name)
    return ccctl_with(pm)
