"""Batch reads and bulk writes for matching: a chunk of rows costs a few statements, not a few per row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from ccctl.contacts import name_key
from ccctl.db.bulk import insert_ids, insert_plain
from ccctl.db.models import ContactPoint, Customer, CustomerAttribute, Tenant
from ccctl.identity.matching import Book, Person
from ccctl.identity.rows import Incoming

IN_LIMIT = 900  # values per IN (...): well under every backend's bound-parameter limit


def _chunks(values: list, size: int = IN_LIMIT) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def load_book(session: Session, tenant: Tenant, rows: list[Incoming]) -> Book:
    """The owners of every email, phone and external key the rows name, in a few queries."""
    owner_ids: dict[tuple[str, str], int] = {}
    for kind, values in (("email", {e for r in rows for e in r.emails}), ("phone", {p for r in rows for p in r.phones})):
        for part in _chunks(sorted(values)):
            owner_ids.update(((kind, value), cid) for value, cid in session.execute(
                select(ContactPoint.value, ContactPoint.customer_id).where(
                    ContactPoint.tenant_id == tenant.id, ContactPoint.kind == kind, ContactPoint.value.in_(part))))
    key_ids: dict[tuple[str, str], int] = {}
    for key in {k for r in rows for k in r.keys}:
        values = sorted({r.keys[key] for r in rows if key in r.keys})
        for part in _chunks(values):
            key_ids.update(((key, value), cid) for value, cid in session.execute(
                select(CustomerAttribute.value, CustomerAttribute.customer_id).where(
                    CustomerAttribute.tenant_id == tenant.id, CustomerAttribute.key == key,
                    CustomerAttribute.value.in_(part)).order_by(CustomerAttribute.customer_id)))
    people = load_people(session, tenant, set(owner_ids.values()) | set(key_ids.values()))
    book = Book()
    for (kind, value), cid in owner_ids.items():
        (book.emails if kind == "email" else book.phones)[value] = people[cid]
    for item, cid in key_ids.items():
        if cid in people:
            book.keys[item] = people[cid]
    return book


def load_people(session: Session, tenant: Tenant, ids: set[int]) -> dict[int, Person]:
    people: dict[int, Person] = {}
    for part in _chunks(sorted(ids)):
        for cid, name, attributes in session.execute(
                select(Customer.id, Customer.name, Customer.attributes).where(
                    Customer.tenant_id == tenant.id, Customer.id.in_(part), Customer.merged_into_id.is_(None))):
            people[cid] = Person(cid, name, attributes or {})
    return people


def write_book(session: Session, tenant: Tenant, book: Book, index_keys: set[str],
               touched: list[Person], actor: str | None, source: str) -> None:
    """Store what matching decided: new customers, new contact points, changed fields, index rows,
    and one history event per stored customer that changed (old → new, field by field)."""
    new = book.created
    ids = insert_ids(session, Customer, [
        dict(tenant_id=tenant.id, name=p.name, name_key=name_key(p.name), attributes=p.attributes) for p in new])
    for person, cid in zip(new, ids):
        person.id = cid
    changed = [p for p in touched if not p.created and p.dirty]
    if changed:
        session.execute(
            update(Customer.__table__).where(Customer.__table__.c.id == bindparam("cid")).values(
                name=bindparam("new_name"), name_key=bindparam("new_key"), attributes=bindparam("new_attributes")),
            [dict(cid=p.id, new_name=p.name, new_key=name_key(p.name), new_attributes=p.attributes) for p in changed])
    insert_plain(session, ContactPoint.__table__, ("tenant_id", "customer_id", "kind", "value"), [
        (tenant.id, p.id, kind, value) for p in new + [t for t in touched if not t.created]
        for kind, values in (("email", p.new_emails), ("phone", p.new_phones)) for value in values])
    reindexed = [p for p in touched if not p.created and p.reindex]
    for person in reindexed:
        session.execute(delete(CustomerAttribute).where(
            CustomerAttribute.tenant_id == tenant.id, CustomerAttribute.customer_id == person.id,
            CustomerAttribute.key.in_(person.reindex)))
    index_rows = [(tenant.id, p.id, key, str(p.attributes[key])[:500])
                  for p in new for key in index_keys if p.attributes.get(key) not in (None, "")]
    index_rows += [(tenant.id, p.id, key, str(p.attributes[key])[:500])
                   for p in reindexed for key in p.reindex if p.attributes.get(key) not in (None, "")]
    insert_plain(session, CustomerAttribute.__table__, ("tenant_id", "customer_id", "key", "value"), index_rows)
    history = [p for p in touched if not p.created and p.changes]
    if history:
        from ccctl.customers import record_interactions

        record_interactions(session, tenant, [dict(
            channel="system", customer_id=p.id, direction="internal", actor=actor,
            summary=f"Import {source} changed " + ", ".join(describe(c) for c in p.changes),
            payload={"import": source, "changes": p.changes}) for p in history], ids=True)
    for person in touched:
        person.new_emails, person.new_phones, person.reindex, person.changes, person.dirty = [], [], set(), [], False
    book.created = []


def describe(change: dict[str, Any]) -> str:
    """``city: 'Lyon' → 'Annecy'``; an added contact point as ``+ email a@x``."""
    if change["field"] in ("email", "phone") and change["old"] is None:
        return f"+ {change['field']} {change['new']}"
    old = "(none)" if change["old"] in (None, "") else repr(change["old"])
    return f"{change['field']}: {old} → {change['new']!r}"
