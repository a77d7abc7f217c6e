"""`customer update`: set a customer's name or attributes, the change kept in their history."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ccctl.contacts import name_key
from ccctl.customers import get_customer, record_interaction
from ccctl.db.models import Customer, Tenant
from ccctl.errors import InputError
from ccctl.identity.directory import write_index
from ccctl.identity.rules import rules_for
from ccctl.identity.store import describe


def update_customer(session: Session, tenant: Tenant, customer_id: int, changes: list[tuple[str, str]],
                    actor: str | None = None) -> tuple[Customer, list[dict[str, Any]]]:
    """Set name or attributes (an empty value removes an attribute); the history keeps old → new."""
    customer = get_customer(session, tenant, customer_id, follow=False)
    if customer.merged_into_id is not None:
        raise InputError(f"customer {customer_id} was merged into {customer.merged_into_id}; update that one")
    done: list[dict[str, Any]] = []
    attributes = dict(customer.attributes)
    for key, value in changes:
        if key == "name":
            if not value:
                raise InputError("--set name= : a name cannot be emptied")
            if value != customer.name:
                done.append({"field": "name", "old": customer.name, "new": value})
                customer.name, customer.name_key = value, name_key(value)
            continue
        old = attributes.get(key)
        if (value or None) != (old if old not in ("", None) else None):
            done.append({"field": key, "old": old, "new": value or None})
            if value:
                attributes[key] = value
            else:
                attributes.pop(key, None)
    customer.attributes = attributes
    index_keys = set(rules_for(tenant).index_keys)
    reindex = {c["field"] for c in done} & index_keys
    if reindex:
        write_index(session, tenant, {customer.id: attributes}, reindex)
    if done:
        record_interaction(session, tenant, "system", customer_id=customer.id, direction="internal", actor=actor,
                           summary="Updated " + ", ".join(describe(c) for c in done), payload={"changes": done})
    session.flush()
    return customer, done
