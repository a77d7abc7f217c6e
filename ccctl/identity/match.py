"""``match_or_create()``: the tenant's matching rules for one person (a form post, a client site's event)."""

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


def match_or_create(session: Session, tenant: Tenant, identity_fields: dict[str, Any], *,
                    on_conflict: str = "skip", where: str = "event", actor: str | None = None) -> MatchResult:
    """Find the customer ``identity_fields`` describes (keys as in an import row: name, email,
    phone, the tenant's external keys, other attributes), by the tenant's rules; create one if
    nobody matches; add new contact points and attributes to a match (recorded in its history).

    A conflict (shared phone with another name, two customers matched, external key differs) is
    resolved by ``on_conflict``: "skip" (default: nothing changes, customer_id None), "new" or
    "update". Bad input raises ``ccctl.errors.InputError`` naming the field.
    """
    from ccctl.identity.matching import decide
    from ccctl.identity.rows import prepare
    from ccctl.identity.rules import rules_for
    from ccctl.identity.store import load_book, write_book

    rules = rules_for(tenant)
    row = prepare(identity_fields, rules, tenant.default_region, where, 0)
    row.where = where
    book = load_book(session, tenant, [row])
    index_keys = set(rules.index_keys)
    outcome = decide(row, book, rules, on_conflict, index_keys)
    touched = [outcome.person] if outcome.person is not None else []
    write_book(session, tenant, book, index_keys, touched, actor, where)
    session.flush()
    skipped = outcome.action == "conflict" and outcome.resolution in (None, "skip")
    return MatchResult(None if skipped or outcome.person is None else outcome.person.id, outcome.action,
                       outcome.changes, outcome.why, outcome.resolution)
