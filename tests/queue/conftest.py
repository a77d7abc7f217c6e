"""A travel-agency tenant with routing rules and escalation, a second tenant, and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccctl.db.models import WorkItem, utcnow
from ccctl.queue.items import create_item

TRAVEL = """\
tenant: travel
name: Travel Co
timezone: Europe/Paris
holidays: FR
business_hours:
  mon-sun: ["00:00-24:00"]
queues:
  - name: bookings
    skills: [booking]
    sla: 4h
    priority: 10
  - name: claims
    skills: [claims]
    sla: 1d
    priority: 5
    escalation: {raise_by: 10, every: 1h, max_priority: 40, late_after: 30m}
  - name: vip
    skills: [booking]
    sla: 1h
    sla_clock: calendar
    priority: 50
  - name: urgent
    skills: [claims]
    sla: 2h
    priority: 60
  - name: partners
    sla: 8h
    escalation: {move_to: urgent}
routing:
  - name: vip-customers
    match: {customer: {segment: [gold, platinum]}}
    queue: vip
  - name: big-refunds
    match:
      channel: [email, web]
      keywords: [remboursement, refund]
      numbers: {amount: ">= 1000"}
    queue: claims
    priority: 30
    skills: [senior]
  - name: refunds
    match: {keywords: [remboursement, refund]}
    queue: claims
  - name: partner-codes
    match: {attributes: {referral_code: [acme, partner42]}}
    queue: partners
"""

OTHER = """\
tenant: other
name: Other Client
queues:
  - name: general
"""


@pytest.fixture
def tenants(ccctl, tmp_path) -> Path:
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "travel.yaml").write_text(TRAVEL)
    (folder / "other.yaml").write_text(OTHER)
    ccctl("tenant", "apply", "-f", str(folder))
    return folder


@pytest.fixture
def make_item(app, tenants):
    """make_item(**create_item kwargs, tenant="travel", channel="email", age=None) → item id."""
    def make(tenant="travel", channel="email", due_in=None, **kwargs) -> int:
        with app.session() as session:
            ctx = app.context(session, app.tenant(session, tenant))
            item, _ = create_item(ctx, channel, **kwargs)
            if due_in is not None:
                item.due_at = utcnow() + due_in
            session.commit()
            return item.id
    return make


@pytest.fixture
def fetch(app):
    """fetch(item_id) → the item as stored now."""
    def get(item_id: int) -> WorkItem:
        with app.session() as session:
            return session.get(WorkItem, item_id)
    return get
