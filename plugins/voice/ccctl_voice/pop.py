"""The screen pop: the customer card of a call put through to an agent, at once.

A pop row is written with the ring (same transaction). PostgreSQL also sends a NOTIFY on
channel ``ccctl_voice_pop`` (delivered at commit), so a follower wakes at once; on SQLite
the follower polls every ``POLL_SECONDS``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ccctl.db.models import Customer, Tenant, WorkItem
from ccctl_voice.models import VoiceCall, VoicePop

CHANNEL = "ccctl_voice_pop"
POLL_SECONDS = 0.3
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def announce(session: Session, tenant_id: int, agent: str, call_id: int) -> None:
    session.add(VoicePop(tenant_id=tenant_id, agent=agent, call_id=call_id))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :agent)"), {"channel": CHANNEL, "agent": agent})


def card(session: Session, pop: VoicePop) -> dict[str, Any]:
    """Who calls, their contact points, open items, the case keyed, the last interactions, the page."""
    from ccctl.customers import interaction_row, item_row, open_items, timeline

    tenant = session.get(Tenant, pop.tenant_id)
    call = session.get(VoiceCall, pop.call_id)
    customer = session.get(Customer, call.customer_id) if call.customer_id else None
    case = session.get(WorkItem, call.case_item_id) if call.case_item_id else None
    return {
        "pop": pop.id, "tenant": tenant.slug, "timezone": tenant.timezone, "at": pop.at, "call_sid": call.call_sid, "from": call.from_number,
        "customer": None if customer is None else {
            "id": customer.id, "name": customer.name,
            "contacts": [f"{c.kind}:{c.value}" for c in customer.contacts]},
        "case": None if case is None else item_row(case),
        "open_items": [] if customer is None else [item_row(i) for i in open_items(session, tenant, customer)],
        "last_interactions": [] if customer is None else [
            interaction_row(i) for i in timeline(session, tenant, customer, limit=8)],
        "page": call.attributes.get("page"),
    }


def latest(session: Session, agent: str, after: int = 0, limit: int = 50) -> list[VoicePop]:
    query = select(VoicePop).where(VoicePop.agent == agent, VoicePop.id > after)
    return list(session.scalars(query.order_by(VoicePop.id).limit(limit)))


def last_id(session: Session, agent: str) -> int:
    return session.scalar(select(VoicePop.id).where(VoicePop.agent == agent).order_by(VoicePop.id.desc())
                          .limit(1)) or 0


def follow(app, agent: str, after: int, stop: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any]]:
    """Cards of the agent's new pops, as they come, until ``stop()``."""
    listener = _listener(app) if app.engine.dialect.name == "postgresql" else None
    try:
        while not stop():
            with app.session() as session:
                for pop in latest(session, agent, after):
                    after = pop.id
                    yield card(session, pop)
            if listener is not None:
                for _ in listener.notifies(timeout=5.0, stop_after=1):
                    break
            else:
                time.sleep(POLL_SECONDS)
    finally:
        if listener is not None:
            listener.close()


def _listener(app):
    """A psycopg connection of its own, LISTENing (autocommit: notifications arrive between statements)."""
    import psycopg

    url = app.engine.url.set(drivername="postgresql")
    conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True, connect_timeout=10)
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


def as_text(found: dict[str, Any]) -> str:
    """The card for a terminal (times in the tenant's zone); text from outside loses its control characters."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(found["timezone"])
    def clean(value) -> str:
        return _CONTROL.sub("", str(value if value is not None else ""))

    customer = found["customer"] or {}
    lines = [f"=== {clean(found['tenant'])} · call from {clean(found['from'] or 'a hidden number')} "
             f"at {found['at'].astimezone(zone):%H:%M:%S %Z}",
             f"customer: {clean(customer.get('name') or '(unknown)')} #{customer.get('id', '-')}  "
             f"{clean(', '.join(customer.get('contacts', [])))}"]
    if found["case"]:
        case = found["case"]
        lines.append(f"case keyed: #{case['id']} {clean(case['subject'])} ({case['state']}, {clean(case['queue'])})")
    for item in found["open_items"]:
        lines.append(f"open: #{item['id']} [{item['channel']}] {clean(item['subject'])} ({item['state']})")
    for event in found["last_interactions"]:
        lines.append(f"  {event['time'].astimezone(zone):%d/%m %H:%M} {event['channel']:<8} {clean(event['summary'])}")
    if found["page"]:
        lines.append(f"came from: {clean(found['page'])}")
    return "\n".join(lines)
