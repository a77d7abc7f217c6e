"""Bulk INSERT of the rows a batch does not have yet, aligned with the batch."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_missing(session: Session, model: type, keys: list[Hashable | None], known: dict[Hashable, Any],
                   values_of: Callable[[int], dict[str, Any]],
                   insert: Callable[[Session, type, list[dict[str, Any]]], list[Any]] | None = None,
                   ) -> list[tuple[Any, bool]] | None:
    """``(row, created)`` per key: ``known[key]``, else a row made from ``values_of(index)``.

    A key of None is always new; a key repeated in the batch is stored once. The new rows go
    in with one ``INSERT ... RETURNING`` inside a savepoint: ORM objects in the session, or
    with ``insert=insert_ids`` plain primary keys (then ``known`` maps keys to ids too).
    None when that INSERT hits a unique constraint (a concurrent writer got there first):
    the caller then redoes the batch one row at a time.
    """
    insert = insert or insert_returning
    fresh: list[int] = []
    pending: set[Hashable] = set()
    for index, key in enumerate(keys):
        if key is None or (key not in known and key not in pending):
            fresh.append(index)
            pending.add(key)
    try:
        with session.begin_nested():
            rows = insert(session, model, [values_of(index) for index in fresh]) if fresh else []
    except IntegrityError:
        return None
    made = dict(zip(fresh, rows))
    out: list[tuple[Any, bool]] = []
    known = dict(known)
    for index, key in enumerate(keys):
        if index in made:
            out.append((made[index], True))
            if key is not None:
                known[key] = made[index]
        else:
            out.append((known[key], False))
    return out


def insert_returning(session: Session, model: type, params: list[dict[str, Any]]) -> list[Any]:
    """``INSERT ... RETURNING`` of ``params`` as ORM objects, in the order of ``params``.

    PostgreSQL sorts the returned rows in one statement. On SQLite SQLAlchemy can only
    sort by sending one statement per row, which costs more than the rest of a bulk
    ingest; rows are lined up by their key instead (see :func:`_sqlite_order`).
    """
    from sqlalchemy import insert, inspect

    if session.get_bind().dialect.name != "sqlite":
        return list(session.scalars(insert(model).returning(model, sort_by_parameter_order=True), params))
    [key] = inspect(model).primary_key
    rows = sorted(session.scalars(insert(model).returning(model), params), key=lambda row: getattr(row, key.key))
    _sqlite_order(model, [getattr(row, key.key) for row in rows], params)
    for row, values in ((rows[0], params[0]), (rows[-1], params[-1])) if rows else ():
        if any(getattr(row, name) != value for name, value in values.items() if isinstance(value, str)):
            raise RuntimeError(f"{model.__tablename__}: rows returned by a bulk INSERT do not line up with its input")
    return rows


def insert_ids(session: Session, model: type, params: list[dict[str, Any]]) -> list[int]:
    """:func:`insert_returning` giving only the primary keys: a Core INSERT, no ORM object built.

    For callers that need the ids alone (history events, message rows): building ORM
    objects from the returned rows costs more than the INSERT itself.
    """
    from sqlalchemy import insert

    if not params:
        return []
    table = model.__table__
    [key] = table.primary_key
    if session.get_bind().dialect.name != "sqlite":
        return list(session.scalars(insert(table).returning(key, sort_by_parameter_order=True), params))
    ids = sorted(session.scalars(insert(table).returning(key), params))
    _sqlite_order(model, ids, params)
    return ids


def _sqlite_order(model: type, ids: list[int], params: list[dict[str, Any]]) -> None:
    """SQLite, a single writer, numbers the rows of one INSERT in VALUES order, each the
    largest key so far + 1: the sorted keys of a batch are then consecutive and line up
    with its input. Anything else (a key space that ran out, a changed allocation) is an
    error, never a silent mix-up."""
    if len(ids) != len(params) or (ids and ids[-1] - ids[0] != len(ids) - 1):
        raise RuntimeError(f"{model.__tablename__}: rows returned by a bulk INSERT do not line up with its input")


def insert_plain(session: Session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT ``rows`` (tuples of plain ints and strings, in ``columns`` order) with the driver's own
    ``executemany``: for wide batches of simple rows (contact points, index rows), SQLAlchemy's
    per-row parameter processing costs more than the INSERT. No defaults are applied, no type is
    converted: give every value."""
    if not rows:
        return
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)
