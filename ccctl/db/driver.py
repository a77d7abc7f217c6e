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


class DriverStatement:
    """``statement`` compiled for psycopg; run it with :meth:`first` on a SQLAlchemy connection.

    Parameters go to psycopg as they are: datetimes must be timezone-aware, lists become
    arrays (write ``= ANY(:param)``, not expanding ``IN``). The statement is prepared on the
    server at its first run on a connection.
    """

    def __init__(self, statement: ClauseElement) -> None:
        from sqlalchemy.dialects.postgresql.psycopg import dialect

        compiled = statement.compile(dialect=dialect())
        self.sql = str(compiled)
        # Values SQLAlchemy bound itself (a LIMIT, a `+ 0`...); ours are merged over them.
        self.fixed = {key: value for key, value in compiled.construct_params(_check=False).items()
                      if value is not None}

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple | None:
        """The first row (a plain tuple) or None, in ``conn``'s transaction (or autocommit)."""
        with conn.connection.driver_connection.cursor() as cursor:
            cursor.execute(self.sql, {**self.fixed, **params}, prepare=True)
            return cursor.fetchone() if cursor.description else None


def pipelined(conn: Connection, steps: list[tuple[DriverStatement, dict[str, Any]]]) -> list[tuple | None]:
    """Run ``steps`` in one round trip (psycopg's pipeline mode); the first row of each.

    The server runs them in order, each seeing the ones before, and up to the pipeline's one
    synchronisation point: in autocommit they commit together, as one transaction.
    """
    driver = conn.connection.driver_connection
    cursors = []
    with driver.pipeline():
        for statement, params in steps:
            cursor = driver.cursor()
            cursor.execute(statement.sql, {**statement.fixed, **params}, prepare=True)
            cursors.append(cursor)
    rows = [cursor.fetchone() if cursor.description else None for cursor in cursors]
    for cursor in cursors:
        cursor.close()
    return rows
