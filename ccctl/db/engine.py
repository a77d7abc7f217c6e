"""Database URL resolution and engine creation (SQLite by default, any SQLAlchemy URL)."""

from __future__ import annotations

import os
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sqlalchemy is imported where an engine is made: `customer find`'s quick path needs only the URL
    from sqlalchemy import Engine


def default_database_url() -> str:
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("ccctl", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'ccctl.db'}"


def database_url(explicit: str | None = None) -> str:
    """``explicit`` or ``CCCTL_DATABASE_URL`` or the platform data dir SQLite file."""
    url = explicit or os.environ.get("CCCTL_DATABASE_URL") or default_database_url()
    # Plain postgresql:// would pick psycopg2, which we do not depend on.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; we issue it ourselves so
        # that ``begin_immediate`` can take the write lock up front.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
