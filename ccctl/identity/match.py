"""``match_or_create()``: the tenant's matching rules for one person (a form post, a client site's event);
``match_or_create_many()`` for a batch of them (the events API's group commit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ccctl.db.models import Tenant


@dataclass
class MatchResult:
    """``customer_id`` is None only for a conflict left unresolved (``on_conflict="skip"``)."""

    customer_id: int | None
    action: str                      # created | updated | unchanged | conflict
    changes: list[dict[str, Any]] = field(default_factory=list)   # {field, old, new}
    why: list[str] = field(default_factory=list)                  # a conflict's reasons
    resolution: str | None = None                                 # a conflict's: update | new | skip
    others: list[int] = field(default_factory=list)               # a conflict's other stored customers


def match_or_create(session: Session, tenant: Tenant, identity_fields: dict[str, Any], *,
                    on_conflict: str = "skip", where: str = "event", actor: str | None = None) -> MatchResult:
    """Find the customer ``identity_fields`` describes (keys as in an import row: name, email,
    phone, the tenant's external keys, other attributes), by the tenant's rules; create one if
    nobody matches; add new contact points and attributes to a match (recorded in its history).

    A conflict (shared phone with another name, two customers matched, external key differs) is
    resolved by ``on_conflict``: "skip" (default: nothing changes, customer_id None), "new" or
    "update". Bad input raises ``ccctl.errors.InputError`` naming the field.
    """
    return match_or_create_many(session, tenant, [identity_fields], on_conflict=on_conflict, where=where,
                                actor=actor)[0]


def match_or_create_many(session: Session, tenant: Tenant, people: list[dict[str, Any]], *,
                         on_conflict: str = "skip", where: str = "event", actor: str | None = None,
                         ) -> list[MatchResult]:
    """:func:`match_or_create` for several people at once, in order (a later one sees who an earlier
    one created): a few queries and INSERTs for the whole list, as an import chunk costs.

    Bad input raises ``InputError`` before anything is written. The writes run in a savepoint:
    should a concurrent writer (PostgreSQL) store one of the contact points first, the list is
    matched again once against what is stored then.
    """
    from sqlalchemy.exc import IntegrityError

    from ccctl.identity.rows import prepare
    from ccctl.identity.rules import rules_for

    rules = rules_for(tenant)
    rows = [prepare(fields, rules, tenant.default_region, where, 0) for fields in people]
    for row in rows:
        row.where = where
    try:
        with session.begin_nested():
            return _match_rows(session, tenant, rows, rules, on_conflict, actor, where)
    except IntegrityError:
        with session.begin_nested():
            return _match_rows(session, tenant, rows, rules, on_conflict, actor, where)


def _match_rows(session, tenant, rows, rules, on_conflict, actor, where) -> list[MatchResult]:
    from ccctl.identity.matching import decide
    from ccctl.identity.store import load_book, write_book

    book = load_book(session, tenant, rows)
    index_keys = set(rules.index_keys)
    outcomes = [decide(row, book, rules, on_conflict, index_keys) for row in rows]
    touched = list({id(o.person): o.person for o in outcomes if o.person is not None}.values())
    write_book(session, tenant, book, index_keys, touched, actor, where)
    session.flush()
    results = []
    for outcome in outcomes:  # ids are known only now that the new people are stored
        skipped = outcome.action == "conflict" and outcome.resolution in (None, "skip")
        person = outcome.person
        others = [p.id for p in outcome.others if p.id is not None and p is not person]
        results.append(MatchResult(None if skipped or person is None else person.id, outcome.action,
                                   outcome.changes, outcome.why, outcome.resolution, others))
    return results
