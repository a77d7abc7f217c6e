"""Helpers for the voice tests: tenant YAML, a case item with an owner, reading the calls back."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

# The tenants' numbers, the agents' phones, a caller (the `phone` fixture in conftest.py uses them).
LUMIERE, HORIZON = "+33180000001", "+33180000002"
MARIE, PAUL = "+33612345678", "+33698765432"
CALLER = "+33611111111"

TENANT = """\
tenant: {slug}
name: {name}
timezone: Europe/Paris
holidays: null
business_hours:
  mon-sun: ["00:00-24:00"]
queues:
  - name: accueil
    sla: 1h
  - name: reservations
    skills: [booking]
    priority: 5
    sla: 1h
  - name: rappels
    sla: 1h
plugins:
  voice:
    enabled: true
    numbers: ["{number}"]
    account_sid: {account_sid}
    auth_token: ${{{token_env}}}
    api_url: {api_url}
    public_url: {public_url}
    default_queue: accueil
    menu:
      "1": {{queue: reservations}}
    case_number: {{digits: 7, check: luhn}}
{extra}  callback:
    enabled: true
    queue: rappels
    min_lead: 0m
    horizon_days: 14
"""


def write_tenant(folder, slug, number, account_sid, token_env, api_url, public_url, name=None, extra=""):
    path = folder / f"{slug}.yaml"
    path.write_text(TENANT.format(slug=slug, name=name or slug.title(), number=number, account_sid=account_sid,
                                  token_env=token_env, api_url=api_url, public_url=public_url, extra=extra),
                    encoding="utf-8")
    return path


def closed_hours_today() -> str:
    """Voice hours (YAML) open every day but today, Paris time: now is out of hours."""
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    today = datetime.now(ZoneInfo("Europe/Paris")).weekday()
    other = ", ".join(f"{d}: ['09:00-18:00']" for i, d in enumerate(days) if i != today)
    return f"    hours: {{{other}}}\n"


def calls_of(app, slug):
    from ccctl.db.models import Tenant
    from ccctl_voice.models import VoiceCall

    with app.session() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        return list(session.scalars(select(VoiceCall).where(VoiceCall.tenant_id == tenant.id)
                                    .order_by(VoiceCall.id)))


def call_row(app, sid):
    from ccctl_voice.models import VoiceCall

    with app.session() as session:
        return session.scalar(select(VoiceCall).where(VoiceCall.call_sid == sid))


def item(app, item_id):
    from ccctl.db.models import WorkItem

    with app.session() as session:
        return session.get(WorkItem, item_id)


def history(app, customer_id):
    from ccctl.db.models import Interaction

    with app.session() as session:
        return list(session.scalars(select(Interaction).where(Interaction.customer_id == customer_id)
                                    .order_by(Interaction.id)))


def make_case(app, slug, phone, queue="reservations", subject="Réservation Lisbonne"):
    """An email item for the customer ``phone`` in ``queue``: the case a caller will key."""
    from ccctl.customers import find_or_create
    from ccctl.db.models import Tenant
    from ccctl.queue.items import create_item

    with app.session() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        customer, _ = find_or_create(session, tenant, "phone", phone, "Alice Martin")
        case, _ = create_item(app.context(session, tenant), "email", subject=subject, customer_id=customer.id,
                              queue=queue)
        session.commit()
        return case.id, customer.id


def tenant_id(app, slug):
    from ccctl.db.models import Tenant

    with app.session() as session:
        return session.scalar(select(Tenant.id).where(Tenant.slug == slug))
