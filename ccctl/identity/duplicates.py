"""Likely duplicate customers, scored from several signals, each pair saying which ones matched.

A namesake is not a duplicate: pairs whose only common trait is a similar name are left out
unless asked for (``include_namesakes``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import combinations
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.contacts import name_key
from ccctl.db.models import ContactPoint, Customer, Tenant
from ccctl.identity.rules import rules_for

WEIGHTS = {"external_key": 60, "email": 50, "phone": 35, "address": 25, "name": 30, "similar_name": 20}
ADDRESS_KEYS = ("address", "street", "adresse", "postcode", "postal_code", "zip", "code_postal")
PHONE_ATTRIBUTE = re.compile(r"^(phone|mobile|tel|telephone)[\w.-]*$", re.I)
BLOCK_LIMIT = 200  # a value shared by more customers than this (a switchboard, "N/A") says nothing


def mailbox(email: str) -> str:
    """The mailbox an address delivers to: no +tag; Gmail ignores dots in the local part."""
    local, _, domain = email.lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def address_key(attributes: dict[str, Any]) -> str | None:
    parts = [str(attributes[k]) for k in ADDRESS_KEYS if attributes.get(k) not in (None, "")]
    return name_key(" ".join(parts)) if parts and any(k in attributes for k in ADDRESS_KEYS[:3]) else None


def likely_duplicates(session: Session, tenant: Tenant, min_score: int = 50, include_namesakes: bool = False,
                      limit: int = 200) -> list[dict[str, Any]]:
    from rapidfuzz import fuzz

    from ccctl.contacts import normalize_phone
    from ccctl.errors import InputError

    rules = rules_for(tenant)
    people = {cid: (name, key, attributes or {}) for cid, name, key, attributes in session.execute(
        select(Customer.id, Customer.name, Customer.name_key, Customer.attributes).where(
            Customer.tenant_id == tenant.id, Customer.merged_into_id.is_(None)))}
    signals: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for cid, kind, value in session.execute(select(ContactPoint.customer_id, ContactPoint.kind, ContactPoint.value)
                                            .where(ContactPoint.tenant_id == tenant.id)):
        if cid in people:
            signals[kind][mailbox(value) if kind == "email" else value].add(cid)
    for cid, (_name, _key, attributes) in people.items():
        for key in rules.external_keys:
            if attributes.get(key) not in (None, ""):
                signals["external_key"][f"{key}={attributes[key]}"].add(cid)
        address = address_key(attributes)
        if address:
            signals["address"][address].add(cid)
        for attr, value in attributes.items():
            if PHONE_ATTRIBUTE.match(attr) and isinstance(value, str):
                try:
                    signals["phone"][normalize_phone(value, tenant.default_region)].add(cid)
                except InputError:
                    pass
    if include_namesakes:
        for cid, (_name, key, _a) in people.items():
            if key:
                signals["name_block"][key].add(cid)
    matched: dict[tuple[int, int], set[str]] = defaultdict(set)
    for kind, groups in signals.items():
        for members in groups.values():
            if 1 < len(members) <= BLOCK_LIMIT:
                for pair in combinations(sorted(members), 2):
                    matched[pair].add(kind)
    rows = []
    for (a, b), kinds in matched.items():
        kinds.discard("name_block")
        name_a, key_a, _ = people[a]
        name_b, key_b, _ = people[b]
        similarity = 100.0 if key_a == key_b else fuzz.token_sort_ratio(key_a, key_b) if key_a and key_b else 0.0
        if key_a and key_a == key_b:
            kinds.add("name")
        elif similarity >= rules.name_similarity:
            kinds.add("similar_name")
        if not kinds or (not include_namesakes and not kinds - {"name", "similar_name"}):
            continue
        score = min(100, sum(WEIGHTS[k] for k in kinds))
        if score >= min_score:
            rows.append({"customer_a": a, "name_a": name_a, "customer_b": b, "name_b": name_b, "score": score,
                         "signals": sorted(kinds, key=lambda k: -WEIGHTS[k]), "name_similarity": round(similarity)})
    rows.sort(key=lambda r: (-r["score"], r["customer_a"], r["customer_b"]))
    return rows[:limit]
