"""SQLAlchemy statements compiled once and run on the PostgreSQL driver's own cursor.

For the hottest statements (a queue claim, a close): SQLAlchemy's per-execution work
(cache lookup, parameter processing, result set-up) costs more client CPU than psycopg
itself, and on a machine shared with the database server that CPU is the throughput.
The statement is still built with SQLAlchemy; only its execution is direct.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement

_CURSORS = "ccctl.driver_cursors"  # key in the pooled connection's info: {statement: its cursor}


class DriverStatement:
    """``statement`` compiled for psycopg; run it with :meth:`first` on a SQLAlchemy connection.

    Parameters go to psycopg as they are: datetimes must be timezone-aware, lists become
    arrays (write ``= ANY(:param)``, not expanding ``IN``). The statement is prepared on the
    server at its first run on a connection, and keeps one cursor per connection: a cursor
    caches its parameter dumpers, and creating one per run cost more client CPU than
    running the statement.

    The SQL is compiled with PostgreSQL's own ``$1`` placeholders and run on a raw cursor,
    with the values in order: psycopg does not rewrite ``%(name)s`` placeholders. That
    rewrite is cached only for statements under 4 kB; above, it re-parsed the SQL on every
    run and cost more client CPU than the rest of the step.
    """

    def __init__(self, statement: ClauseElement) -> None:
        from sqlalchemy.dialects.postgresql.psycopg import dialect

        compiled = statement.compile(dialect=dialect(paramstyle="numeric_dollar"))
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup)  # the parameter behind $1, $2...
        # Values SQLAlchemy bound itself (a LIMIT, a `+ 0`...); ours are merged over them.
        self.fixed = {key: value for key, value in compiled.construct_params(_check=False).items()
                      if value is not None}

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple | None:
        """The first row (a plain tuple) or None, in ``conn``'s transaction (or autocommit)."""
        values = {**self.fixed, **params}
        try:
            ordered = [values[name] for name in self.names]
        except KeyError as missing:
            raise TypeError(f"no value for parameter {missing} of: {self.sql[:200]}") from None
        cursor = self.cursor(conn)
        cursor.execute(self.sql, ordered, prepare=True)
        return _first_row(cursor)

    def cursor(self, conn: Connection):
        """This statement's cursor on ``conn``'s driver connection (kept as long as that connection:
        the pool clears a connection's ``info`` when it replaces the connection)."""
        pooled = conn.connection
        cursors = pooled.info.get(_CURSORS)
        if cursors is None:
            cursors = pooled.info[_CURSORS] = {}
        cursor = cursors.get(self)
        if cursor is None or cursor.closed:
            from psycopg import RawCursor

            cursor = cursors[self] = RawCursor(pooled.driver_connection)
        return cursor


_TUPLES_OK = 2  # libpq's PGRES_TUPLES_OK (psycopg.pq.ExecStatus): the statement returned rows


def _first_row(cursor) -> tuple | None:
    result = cursor.pgresult  # not ``description``: that builds column objects on every call
    return cursor.fetchone() if result is not None and result.status == _TUPLES_OK else None
