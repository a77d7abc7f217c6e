"""The matching rules applied to one row, against what is known so far (database + earlier rows).

Pure Python over a :class:`Book` of known customers: no database access here, so the rules
read as rules. ``ccctl.identity.store`` fills the book in batches and writes the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ccctl.contacts import name_key
from ccctl.identity.rows import Incoming
from ccctl.identity.rules import CustomerRules, same_name

ON_CONFLICT = ("update", "new", "skip")


class Person:
    """A customer as the import sees it: stored (``id`` set) or about to be created."""

    __slots__ = ("id", "name", "attributes", "new_emails", "new_phones", "dirty", "reindex", "created", "changes")

    def __init__(self, id: int | None, name: str, attributes: dict[str, Any], created: bool = False) -> None:
        self.id, self.name, self.attributes, self.created = id, name, attributes, created
        self.new_emails: list[str] = []
        self.new_phones: list[str] = []
        self.dirty = False          # name or attributes changed
        self.reindex: set[str] = set()  # indexed attributes whose value changed
        self.changes: list[dict[str, Any]] = []  # history of a stored customer: what this import changed

    def label(self) -> str:
        return f"customer {self.id} ({self.name or 'no name'})" if self.id else f"new customer ({self.name or 'no name'})"


@dataclass
class Book:
    """Who owns each contact point and key value, as far as this import knows."""

    emails: dict[str, Person] = field(default_factory=dict)
    phones: dict[str, Person] = field(default_factory=dict)
    keys: dict[tuple[str, str], Person] = field(default_factory=dict)
    created: list[Person] = field(default_factory=list)


@dataclass
class Outcome:
    """What one row did: created, updated, unchanged, or conflict (``resolution`` says what happened to it)."""

    where: str
    action: str
    person: Person | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    others: list[Person] = field(default_factory=list)
    resolution: str | None = None   # a conflict's: None (not applied), update, new, skip
    row: Incoming | None = None


def decide(row: Incoming, book: Book, rules: CustomerRules, on_conflict: str | None,
           index_keys: set[str]) -> Outcome:
    """Match ``row`` by the rules, apply it to ``book`` unless it conflicts, and say what happened."""
    by_key = _owners([book.keys.get(item) for item in row.keys.items()])
    by_email = _owners([book.emails.get(e) for e in row.emails])
    by_phone = _owners([book.phones.get(p) for p in row.phones])
    why: list[str] = []
    if by_key:
        route, candidates = "external key", by_key
    elif by_email and rules.match_email:
        route, candidates = "email", by_email
    elif by_phone and rules.match_phone:
        route, candidates = "phone", by_phone
    else:
        route, candidates = "", []
    if len(candidates) > 1:
        why.append(f"its {route}s belong to different customers: {', '.join(p.label() for p in candidates)}")
    target = candidates[0] if candidates else None
    for kind, owners, values in (("email", book.emails, row.emails), ("phone", book.phones, row.phones)):
        for value in values:
            owner = owners.get(value)
            if owner is not None and owner is not target and not (len(candidates) > 1 and owner in candidates):
                why.append(f"{kind} {value} belongs to {owner.label()}")
    if target is not None:
        if not same_name(row.name, target.name):
            reason = f"name differs: '{target.name}' on record, '{row.name}' in the file"
            if route == "phone":
                reason += " (a shared phone alone does not make them one person)"
            why.append(reason)
        for key, value in row.keys.items():
            stored = target.attributes.get(key)
            if stored not in (None, "") and str(stored) != value:
                why.append(f"{key} differs: '{stored}' on record, '{value}' in the file")
    others = [p for p in dict.fromkeys(by_key + by_email + by_phone) if p is not target]
    if why:
        outcome = Outcome(row.where, "conflict", target, why=why, others=others, resolution=on_conflict, row=row)
        if on_conflict == "update" and target is not None:
            outcome.changes = _apply(row, target, book, index_keys, overwrite=True)
        elif on_conflict == "new" or (on_conflict == "update" and target is None):
            outcome.resolution = "new"
            outcome.others = [target, *others] if target is not None else others  # whom it was kept apart from
            outcome.person = _create(row, book, index_keys)
        return outcome
    if target is None:
        return Outcome(row.where, "created", _create(row, book, index_keys), row=row)
    changes = _apply(row, target, book, index_keys, overwrite=False)
    return Outcome(row.where, "updated" if changes else "unchanged", target, changes, row=row)


def _owners(found: list[Person | None]) -> list[Person]:
    return list(dict.fromkeys(p for p in found if p is not None))


def _create(row: Incoming, book: Book, index_keys: set[str]) -> Person:
    """A new customer with the row's contact points and keys nobody else holds (a taken one stays put)."""
    attributes = {k: v for k, v in row.attributes.items() if k not in row.keys or (k, row.keys[k]) not in book.keys}
    person = Person(None, row.name, attributes, created=True)
    book.created.append(person)
    for email in row.emails:
        if email not in book.emails:
            book.emails[email] = person
            person.new_emails.append(email)
    for phone in row.phones:
        if phone not in book.phones:
            book.phones[phone] = person
            person.new_phones.append(phone)
    for key, value in row.keys.items():
        book.keys.setdefault((key, value), person)
    return person


def _apply(row: Incoming, person: Person, book: Book, index_keys: set[str], overwrite: bool) -> list[dict[str, Any]]:
    """Bring ``person`` up to the row; each change as {field, old, new}. Names differing only by
    case or accents are left as stored; ``overwrite`` (a conflict resolved by update) replaces them."""
    changes: list[dict[str, Any]] = []
    if row.name and (not person.name or (overwrite and name_key(row.name) != name_key(person.name))):
        changes.append({"field": "name", "old": person.name or None, "new": row.name})
        person.name = row.name
        person.dirty = True
    for kind, owners, added, values in (("email", book.emails, person.new_emails, row.emails),
                                        ("phone", book.phones, person.new_phones, row.phones)):
        for value in values:
            if value not in owners:
                owners[value] = person
                added.append(value)
                changes.append({"field": kind, "old": None, "new": value})
    attributes = dict(person.attributes)
    for key, value in row.attributes.items():
        if attributes.get(key) != value:
            if key in row.keys and (key, value) in book.keys and book.keys[(key, value)] is not person:
                continue  # another customer holds this key value: never two owners of one key
            changes.append({"field": key, "old": attributes.get(key), "new": value})
            if key in row.keys and attributes.get(key) not in (None, ""):
                book.keys.pop((key, str(attributes[key])), None)
            attributes[key] = value
            if key in index_keys:
                person.reindex.add(key)
            if key in row.keys:
                book.keys[(key, value)] = person
    if attributes != person.attributes:
        person.attributes = attributes
        person.dirty = True
    if person.id is not None:
        person.changes.extend(changes)
    return changes
