"""Listing, updating and looking customers up: by attribute (through the index), many at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from ccctl.contacts import classify, name_key
from ccctl.db.models import ContactPoint, Customer, CustomerAttribute, Tenant
from ccctl.errors import InputError

# ccctl.identity.rules (pydantic) is imported where needed: `customer find` stays light.


def parse_assignment(text: str, what: str = "--set") -> tuple[str, str]:
    """``key=value`` → (key, value); the value may hold '=' and be empty (to clear)."""
    from ccctl.identity.rules import ATTRIBUTE, RESERVED

    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(f"{what}: '{text}' is not KEY=VALUE (e.g. {what} policy=AP-100146)")
    if key != "name" and (key in RESERVED or not ATTRIBUTE.match(key)):
        raise InputError(f"{what}: '{key}' is not an attribute name (contact points: use customer add/import)")
    return key, value.strip()


def list_customers(session: Session, tenant: Tenant, name: str | None = None,
                   attributes: list[tuple[str, str]] = (), include_merged: bool = False,
                   limit: int = 50, offset: int = 0, after: int | None = None) -> tuple[list[Customer], int]:
    """A page of customers by id, filtered by name words and attribute values; with the total."""
    from sqlalchemy.orm import selectinload

    query = select(Customer).where(Customer.tenant_id == tenant.id)
    if not include_merged:
        query = query.where(Customer.merged_into_id.is_(None))
    for word in name_key(name or "").split():
        query = query.where(Customer.name_key.contains(word, autoescape=True))
    for key, value in attributes:
        query = query.where(Customer.id.in_(attribute_owners(tenant, key, value)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    if after is not None:
        query = query.where(Customer.id > after)
    page = query.options(selectinload(Customer.contacts)).order_by(Customer.id).offset(offset).limit(limit)
    return list(session.scalars(page)), total


def attribute_owners(tenant: Tenant, key: str, value: str):
    """A subquery of the ids of customers whose indexed attribute ``key`` is ``value``."""
    from ccctl.identity.rules import rules_for

    rules = rules_for(tenant)
    if key not in rules.index_keys:
        declared = ", ".join(rules.index_keys)
        raise InputError(f"attribute '{key}' is not indexed for tenant {tenant.slug} (indexed: {declared}); "
                         "add it under customers.indexed in the tenant YAML, apply it, then run "
                         "ccctl customer reindex")
    return select(CustomerAttribute.customer_id).where(
        CustomerAttribute.tenant_id == tenant.id, CustomerAttribute.key == key, CustomerAttribute.value == value)


def find_by_attribute(session: Session, tenant: Tenant, key: str, value: str, limit: int = 20) -> list[Customer]:
    from sqlalchemy.orm import selectinload

    return list(session.scalars(select(Customer).options(selectinload(Customer.contacts)).where(
        Customer.id.in_(attribute_owners(tenant, key, value)), Customer.merged_into_id.is_(None))
        .order_by(Customer.id).limit(limit)))


def find_by_any_attribute(session: Session, tenant: Tenant, value: str, limit: int = 20) -> list[Customer]:
    """Customers with ``value`` in any indexed attribute: a policy or booking number typed as it is."""
    from sqlalchemy.orm import selectinload

    ids = select(CustomerAttribute.customer_id).where(CustomerAttribute.tenant_id == tenant.id,
                                                      CustomerAttribute.value == value.strip())
    return list(session.scalars(select(Customer).options(selectinload(Customer.contacts)).where(
        Customer.id.in_(ids), Customer.merged_into_id.is_(None)).order_by(Customer.id).limit(limit)))


def write_index(session: Session, tenant: Tenant, attributes_by_id: dict[int, dict[str, Any]], keys: set[str]) -> int:
    """Replace the index rows of ``keys`` for these customers by their current values."""
    ids = list(attributes_by_id)
    for start in range(0, len(ids), 900):
        session.execute(delete(CustomerAttribute).where(
            CustomerAttribute.tenant_id == tenant.id, CustomerAttribute.customer_id.in_(ids[start:start + 900]),
            CustomerAttribute.key.in_(keys)))
    rows = [dict(tenant_id=tenant.id, customer_id=cid, key=key, value=str(attrs[key])[:500])
            for cid, attrs in attributes_by_id.items() for key in keys if attrs.get(key) not in (None, "")]
    if rows:
        session.execute(insert(CustomerAttribute.__table__), rows)
    return len(rows)


def reindex(session: Session, tenant: Tenant) -> int:
    """Rebuild the attribute index of every customer of ``tenant`` from their attributes."""
    from ccctl.identity.rules import rules_for

    keys = set(rules_for(tenant).index_keys)
    session.execute(delete(CustomerAttribute).where(CustomerAttribute.tenant_id == tenant.id))
    written, batch = 0, {}
    for cid, attributes in session.execute(select(Customer.id, Customer.attributes).where(
            Customer.tenant_id == tenant.id, Customer.merged_into_id.is_(None))):
        batch[cid] = attributes or {}
        if len(batch) >= 5000:
            written += write_index(session, tenant, batch, keys)
            batch = {}
    return written + (write_index(session, tenant, batch, keys) if batch else 0)


def find_many(session: Session, tenant: Tenant, queries: list[str]) -> list[list[dict[str, Any]]]:
    """``customer find -``: each query's matches (phone, email, or an indexed attribute value), looked
    up in batches: a few statements per thousand queries rather than a few per query."""
    region = tenant.default_region
    kinds = [classify(q, region) for q in queries]
    owners: dict[tuple[str, str], list[int]] = {}
    for kind in ("email", "phone"):
        values = sorted({c[1] for c in kinds if c and c[0] == kind})
        for start in range(0, len(values), 900):
            for value, cid in session.execute(select(ContactPoint.value, ContactPoint.customer_id).where(
                    ContactPoint.tenant_id == tenant.id, ContactPoint.kind == kind,
                    ContactPoint.value.in_(values[start:start + 900]))):
                owners[(kind, value)] = [cid]
    plain = sorted({q.strip() for q, c in zip(queries, kinds) if c is None and q.strip()})
    for start in range(0, len(plain), 900):
        for value, cid in session.execute(select(CustomerAttribute.value, CustomerAttribute.customer_id).where(
                CustomerAttribute.tenant_id == tenant.id, CustomerAttribute.value.in_(plain[start:start + 900]))
                .order_by(CustomerAttribute.customer_id)):
            owners.setdefault(("attribute", value), []).append(cid)
    ids = sorted({cid for found in owners.values() for cid in found})
    rows = customer_rows(session, tenant, ids)
    out = []
    for query, kind in zip(queries, kinds):
        found = owners.get(kind) if kind else owners.get(("attribute", query.strip()))
        out.append([rows[cid] for cid in dict.fromkeys(found or []) if cid in rows])
    return out


def customer_rows(session: Session, tenant: Tenant, ids: list[int]) -> dict[int, dict[str, Any]]:
    """``customer_row`` shapes for these ids without building ORM objects (active customers only)."""
    rows: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        for cid, name, created in session.execute(select(Customer.id, Customer.name, Customer.created_at).where(
                Customer.tenant_id == tenant.id, Customer.id.in_(part), Customer.merged_into_id.is_(None))):
            rows[cid] = {"id": cid, "name": name, "emails": [], "phones": [], "created_at": created}
        for cid, kind, value in session.execute(select(ContactPoint.customer_id, ContactPoint.kind, ContactPoint.value)
                                                .where(ContactPoint.customer_id.in_(part)).order_by(ContactPoint.id)):
            if cid in rows:
                rows[cid][f"{kind}s"].append(value)
    return rows
