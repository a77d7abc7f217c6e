"""``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL: store a row unless a unique key
already holds one, in one statement, with no savepoint and no IntegrityError to catch.

A ``try: flush() except IntegrityError`` fallback needs a savepoint per row and cannot tell a
duplicate key from any other constraint failing; this says which key may collide, and any
other violation still raises.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def insert_or_skip(session: Session, model: type, values: dict[str, Any], conflict: tuple[str, ...],
                   returning: Any = None) -> Any:
    """Insert ``values`` into ``model``'s table unless a row with the same ``conflict`` columns exists.

    Returns the ``returning`` column (or the ORM object when ``returning`` is the model) of the new
    row, or None when the row was already there.  Column defaults apply as for any INSERT.
    """
    key = (session.get_bind().dialect.name, model, conflict, returning)
    statement = _STATEMENTS.get(key)
    if statement is None:  # built once: the values go in as parameters (no statement rebuilt per row)
        statement = dialect_insert(session, model).on_conflict_do_nothing(index_elements=list(conflict))
        statement = _STATEMENTS[key] = statement.returning(returning if returning is not None else model)
    return session.scalars(statement, values).first()


_STATEMENTS: dict[tuple, Any] = {}


def dialect_insert(session: Session, model: type):
    name = session.get_bind().dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise NotImplementedError(f"ccctl supports SQLite and PostgreSQL, not {name}")
    return insert(model)


def insert_many_or_skip(session: Session, model: type, rows: list[dict[str, Any]], conflict: tuple[str, ...]) -> list[Any]:
    """:func:`insert_or_skip` for many rows in one statement per batch: the ORM objects of the rows
    stored (in the session, in no particular order); rows whose ``conflict`` key already exists
    are left out (look them up by that key)."""
    if not rows:
        return []
    statement = dialect_insert(session, model).on_conflict_do_nothing(index_elements=list(conflict))
    return list(session.scalars(statement.returning(model), rows))
