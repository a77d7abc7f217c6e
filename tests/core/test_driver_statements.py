"""DriverStatement: SQLAlchemy statements run on psycopg's own cursor (PostgreSQL only)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, literal_column, select, update

from ccctl.db.driver import DriverStatement, pipelined
from ccctl.db.models import Tenant

_NAMED = DriverStatement(select(Tenant.name).where(Tenant.slug == bindparam("slug")))
_RENAME = DriverStatement(update(Tenant).where(Tenant.slug == bindparam("slug"))
                          .values(name=bindparam("new_name"), updated_at=Tenant.updated_at).returning(Tenant.name))
_TOUCH = DriverStatement(update(Tenant).where(Tenant.slug == bindparam("slug")).values(name=literal_column("name"), updated_at=Tenant.updated_at))


@pytest.fixture
def conn(app, session):
    if app.engine.dialect.name != "postgresql":
        pytest.skip("statements run on psycopg's own cursor: PostgreSQL only")
    session.add_all([Tenant(slug="acme", name="Acme", config={}), Tenant(slug="globex", name="Globex", config={})])
    session.commit()
    with app.engine.connect() as connection:
        yield connection


def test_first_row_and_none(conn):
    assert _NAMED.first(conn, {"slug": "acme"}) == ("Acme",)
    assert _NAMED.first(conn, {"slug": "initech"}) is None
    assert _TOUCH.first(conn, {"slug": "acme"}) is None  # no result set at all: None, not an error


def test_cursor_is_kept_per_connection_and_replaced_with_it(app, conn):
    cursor = _NAMED.cursor(conn)
    _NAMED.first(conn, {"slug": "acme"})
    assert _NAMED.cursor(conn) is cursor
    assert _RENAME.cursor(conn) is not cursor  # one per statement
    with app.engine.connect() as other:
        assert _NAMED.cursor(other) is not cursor
    conn.invalidate()  # the pool replaces the driver connection: a new cursor on the new one
    assert _NAMED.first(conn, {"slug": "globex"}) == ("Globex",)
    assert _NAMED.cursor(conn) is not cursor
    cursor = _NAMED.cursor(conn)
    cursor.close()
    assert _NAMED.first(conn, {"slug": "acme"}) == ("Acme",)  # a closed cursor is replaced too


def test_pipeline_runs_in_order_and_commits_together(app, conn):
    conn.execution_options(isolation_level="AUTOCOMMIT")
    renamed, named = pipelined(conn, [(_RENAME, {"slug": "acme", "new_name": "Acme Ltd"}),
                                      (_NAMED, {"slug": "acme"})])
    assert renamed == ("Acme Ltd",) and named == ("Acme Ltd",)  # the second sees the first
    with app.engine.connect() as other:
        assert _NAMED.first(other, {"slug": "acme"}) == ("Acme Ltd",)  # committed


def test_pipeline_refuses_one_statement_twice(conn):
    with pytest.raises(ValueError, match="once in a pipeline"):
        pipelined(conn, [(_NAMED, {"slug": "acme"}), (_NAMED, {"slug": "globex"})])
