"""Customers, their contact points and their one multichannel history, always tenant-scoped.

Matching, import, duplicates and merge/unmerge live in ``ccctl.identity``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ccctl.contacts import classify, name_key, normalize_email, normalize_phone
from ccctl.db.models import ContactPoint, Customer, CustomerMerge, Interaction, Tenant, WorkItem, utcnow
from ccctl.errors import CcctlError, InputError


def contact_values(tenant: Tenant, emails: Iterable[str] = (), phones: Iterable[str] = ()) -> list[tuple[str, str]]:
    points = [("email", normalize_email(e)) for e in emails if e and e.strip()]
    points += [("phone", normalize_phone(p, tenant.default_region)) for p in phones if p and p.strip()]
    return list(dict.fromkeys(points))


def owner_of(session: Session, tenant: Tenant, kind: str, value: str) -> Customer | None:
    return session.scalar(
        select(Customer).join(ContactPoint).where(
            ContactPoint.tenant_id == tenant.id, ContactPoint.kind == kind, ContactPoint.value == value
        )
    )


def owners_of(session: Session, tenant: Tenant, kind: str, values: Iterable[str]) -> dict[str, Customer]:
    """Bulk :func:`owner_of`: normalised value → owning customer, for the values that have one."""
    rows = session.execute(
        select(ContactPoint.value, Customer).join(ContactPoint.customer).where(
            ContactPoint.tenant_id == tenant.id, ContactPoint.kind == kind, ContactPoint.value.in_(set(values))
        )
    )
    return {value: customer for value, customer in rows}


def add_customer(session: Session, tenant: Tenant, name: str, emails: Iterable[str] = (),
                 phones: Iterable[str] = (), attributes: dict[str, Any] | None = None) -> Customer:
    points = contact_values(tenant, emails, phones)
    for kind, value in points:
        other = owner_of(session, tenant, kind, value)
        if other is not None:
            raise CcctlError(f"{value} already belongs to customer {other.id} ({other.name})")
    return _store_customer(session, tenant, name, points, attributes)


def _store_customer(session: Session, tenant: Tenant, name: str, points: list[tuple[str, str]],
                    attributes: dict[str, Any] | None = None) -> Customer:
    """Insert a customer and its (normalised, checked) contact points."""
    customer = Customer(tenant_id=tenant.id, name=name.strip(), name_key=name_key(name),
                        attributes=attributes or {})
    customer.contacts = [ContactPoint(tenant_id=tenant.id, kind=k, value=v) for k, v in points]
    session.add(customer)
    session.flush()
    return customer


def find_or_create(session: Session, tenant: Tenant, kind: str, value: str, name: str = "") -> tuple[Customer, bool]:
    """The customer owning contact point ``value`` (normalised), created if none: (customer, created)."""
    value = normalize_email(value) if kind == "email" else normalize_phone(value, tenant.default_region)
    existing = owner_of(session, tenant, kind, value)
    if existing is not None:
        if name and not existing.name:
            existing.name, existing.name_key = name, name_key(name)
        return existing, False
    try:
        with session.begin_nested():  # just looked up: the unique key catches a concurrent creator
            customer = _store_customer(session, tenant, name or "", [(kind, value)])
        return customer, True
    except IntegrityError:  # another process created it first (kept: a customer and its contact point are
        # two rows, and ON CONFLICT on the contact point could not take back the customer made before it)
        existing = owner_of(session, tenant, kind, value)
        if existing is None:
            raise
        return existing, False


def find_or_create_many(session: Session, tenant: Tenant, kind: str, names: dict[str, str]) -> dict[str, Customer]:
    """Bulk :func:`find_or_create`: value (as given) → customer, for ``{value: name}``.

    Owners are found with one query; the missing customers and their contact points are
    stored with one INSERT each. Should a concurrent writer create one of them first, the
    batch is redone value by value.
    """
    from sqlalchemy import insert

    from ccctl.db.bulk import insert_returning

    normal = {value: normalize_email(value) if kind == "email" else normalize_phone(value, tenant.default_region)
              for value in names}
    owners = owners_of(session, tenant, kind, normal.values())
    missing = {}  # normalised value → name, each once
    for value, name in names.items():
        if normal[value] not in owners or (name and not owners[normal[value]].name):
            missing.setdefault(normal[value], name)
    named = {v: n for v, n in missing.items() if v in owners}  # found but nameless: name them, as find_or_create does
    for value, name in named.items():
        owners[value].name, owners[value].name_key = name, name_key(name)
    new = [(v, n) for v, n in missing.items() if v not in owners]
    rows: list[Customer] = []
    try:
        with session.begin_nested():
            rows = insert_returning(session, Customer, [
                dict(tenant_id=tenant.id, name=name.strip(), name_key=name_key(name), attributes={})
                for _value, name in new]) if new else []
            if rows:
                session.execute(insert(ContactPoint), [dict(tenant_id=tenant.id, customer_id=row.id, kind=kind,
                                                            value=value) for (value, _n), row in zip(new, rows)])
    except IntegrityError:  # kept, as in find_or_create: customers and contact points are two INSERTs
        for row in rows:  # returned by the rolled-back INSERT: not to be found in the session any more
            session.expunge(row)
        return {value: find_or_create(session, tenant, kind, value, name)[0] for value, name in names.items()}
    owners.update((value, row) for (value, _name), row in zip(new, rows))
    return {value: owners[normal[value]] for value in names}


def get_customer(session: Session, tenant: Tenant, customer_id: int, follow: bool = True) -> Customer:
    """Customer ``customer_id`` of this tenant; a merged one leads to where it went."""
    customer = session.scalar(
        select(Customer).options(selectinload(Customer.contacts))
        .where(Customer.id == customer_id, Customer.tenant_id == tenant.id)
    )
    if customer is None:
        raise CcctlError(f"no customer {customer_id} for tenant {tenant.slug}")
    seen = {customer.id}
    while follow and customer.merged_into_id is not None:
        customer = session.get(Customer, customer.merged_into_id)
        if customer is None or customer.id in seen:
            raise CcctlError(f"customer {customer_id}: broken merge chain")
        seen.add(customer.id)
    return customer


def find_customers(session: Session, tenant: Tenant, query: str, limit: int = 20) -> list[Customer]:
    """By phone or email (exact, normalised), else an indexed attribute value (a policy number),
    else by name (all words, then fuzzy)."""
    contact = classify(query, tenant.default_region)
    if contact is not None:
        owner = owner_of(session, tenant, *contact)
        return [owner] if owner is not None else []
    from ccctl.identity.directory import find_by_any_attribute

    by_attribute = find_by_any_attribute(session, tenant, query, limit)
    if by_attribute:
        return by_attribute
    words = name_key(query).split()
    if not words:
        raise InputError("give a name, a phone number or an email address to look for")
    base = select(Customer).where(Customer.tenant_id == tenant.id, Customer.merged_into_id.is_(None))
    exact = base
    for word in words:
        exact = exact.where(Customer.name_key.contains(word, autoescape=True))
    found = list(session.scalars(exact.options(selectinload(Customer.contacts)).limit(limit)))
    if found:
        return found
    return _fuzzy_by_name(session, tenant, base, words, limit)


def _fuzzy_by_name(session, tenant, base, words, limit) -> list[Customer]:
    from rapidfuzz import fuzz, process

    # Candidates share the first two letters of some word: typo-tolerant, index-friendly enough.
    prefixes = {w[:2] for w in words if len(w) >= 2}
    candidates: dict[int, str] = {}
    for prefix in prefixes:
        rows = session.execute(
            select(Customer.id, Customer.name_key).where(
                Customer.tenant_id == tenant.id, Customer.merged_into_id.is_(None),
                (Customer.name_key.startswith(prefix, autoescape=True))
                | Customer.name_key.contains(" " + prefix, autoescape=True),
            ).limit(20000)
        )
        candidates.update(dict(rows.all()))
    best = process.extract(" ".join(words), candidates, scorer=fuzz.token_sort_ratio,
                           limit=limit, score_cutoff=70)
    ids = [key for _name, _score, key in best]
    by_id = {c.id: c for c in session.scalars(
        select(Customer).options(selectinload(Customer.contacts)).where(Customer.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def record_interaction(session: Session, tenant: Tenant, channel: str, *, customer_id: int | None = None,
                       direction: str = "in", summary: str = "", payload: dict[str, Any] | None = None,
                       external_id: str | None = None, item_id: int | None = None,
                       occurred_at: datetime | None = None, actor: str | None = None) -> tuple[Interaction, bool]:
    """Add one history event; the same ``external_id`` on a channel is stored once: (row, created)."""
    if external_id is not None:
        existing = session.scalar(select(Interaction).where(
            Interaction.tenant_id == tenant.id, Interaction.channel == channel,
            Interaction.external_id == external_id))
        if existing is not None:
            return existing, False
    values = interaction_values(tenant, channel, customer_id=customer_id, direction=direction, summary=summary,
                                payload=payload, external_id=external_id, item_id=item_id,
                                occurred_at=occurred_at, actor=actor)
    if external_id is None:  # nothing it could collide with (hot path of queue claims)
        row = Interaction(**values)
        session.add(row)
        session.flush()
        return row, True
    from ccctl.db.upsert import insert_or_skip

    stored = insert_or_skip(session, Interaction, values, conflict=("tenant_id", "channel", "external_id"))
    if stored is None:  # a concurrent writer stored it first
        return session.scalar(select(Interaction).where(
            Interaction.tenant_id == tenant.id, Interaction.channel == channel,
            Interaction.external_id == external_id)), False
    return stored, True


def interaction_values(tenant: Tenant, channel: str, *, customer_id: int | None = None, direction: str = "in",
                       summary: str = "", payload: dict[str, Any] | None = None, external_id: str | None = None,
                       item_id: int | None = None, occurred_at: datetime | None = None,
                       actor: str | None = None) -> dict[str, Any]:
    """The column values of one history event (shared by the single and the bulk insert)."""
    return dict(tenant_id=tenant.id, customer_id=customer_id, channel=channel, direction=direction,
                summary=summary, payload=payload or {}, external_id=external_id, item_id=item_id,
                occurred_at=occurred_at or utcnow(), actor=actor)


def record_interactions(session: Session, tenant: Tenant, events: list[dict[str, Any]],
                        ids: bool = False, fresh: bool = False) -> list[tuple[Any, bool]]:
    """Bulk :func:`record_interaction`: each event is its keyword arguments (``channel`` included).

    One query finds the external ids already stored, one INSERT stores the rest; the result
    is aligned with ``events``: ``(row, created)``, or ``(row id, created)`` with ``ids=True``
    (no ORM object built: cheaper for callers that keep only the id). A concurrent writer
    storing one of the ids first makes the INSERT fail: the batch is then redone one event
    at a time (rare, correct, slower). ``fresh=True``: the caller has just looked the external ids
    up in this transaction, so the query is skipped (the unique index and that redo still guard).
    """
    from ccctl.db.bulk import insert_ids, insert_missing

    keys = [(e["channel"], e["external_id"]) if e.get("external_id") is not None else None for e in events]
    known: dict[tuple[str, str], Any] = {}
    for channel in {key[0] for key in keys if key} if not fresh else ():  # channel = X AND id IN (...): a tuple IN costs 5x more
        where = (Interaction.tenant_id == tenant.id, Interaction.channel == channel,
                 Interaction.external_id.in_({key[1] for key in keys if key and key[0] == channel}))
        if ids:
            known.update(((channel, external_id), row_id) for external_id, row_id in session.execute(
                select(Interaction.external_id, Interaction.id).where(*where)))
        else:
            known.update(((channel, r.external_id), r) for r in session.scalars(select(Interaction).where(*where)))
    out = insert_missing(session, Interaction, keys, known, lambda n: interaction_values(tenant, **events[n]),
                         insert=insert_ids if ids else None)
    if out is None:
        out = [record_interaction(session, tenant, **event) for event in events]
        return [(row.id, created) for row, created in out] if ids else out
    return out


def timeline(session: Session, tenant: Tenant, customer: Customer, limit: int | None = None) -> list[Interaction]:
    query = (select(Interaction)
             .where(Interaction.tenant_id == tenant.id, Interaction.customer_id == customer.id)
             .order_by(Interaction.occurred_at.desc(), Interaction.id.desc()))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def open_items(session: Session, tenant: Tenant, customer: Customer) -> list[WorkItem]:
    """The customer's work items not closed yet, oldest first."""
    return list(session.scalars(
        select(WorkItem).where(WorkItem.tenant_id == tenant.id, WorkItem.customer_id == customer.id,
                               WorkItem.state != "closed")
        .order_by(WorkItem.created_at, WorkItem.id)))


def item_row(item: WorkItem) -> dict[str, Any]:
    return {"id": item.id, "channel": item.channel, "queue": item.queue, "state": item.state,
            "subject": item.subject, "due_at": item.due_at, "claimed_by": item.claimed_by}


def customer_row(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "emails": [c.value for c in customer.contacts if c.kind == "email"],
        "phones": [c.value for c in customer.contacts if c.kind == "phone"],
        "created_at": customer.created_at,
    }


def interaction_row(row: Interaction) -> dict[str, Any]:
    return {
        "id": row.id,
        "time": row.occurred_at,
        "channel": row.channel,
        "direction": row.direction,
        "summary": row.summary,
        "item": row.item_id,
        "actor": row.actor,
    }
