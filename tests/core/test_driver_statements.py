"""DriverStatement: SQLAlchemy statements run on psycopg's own cursor (PostgreSQL only)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, literal_column, select, update

from ccctl.db.driver import DriverStatement
from ccctl.db.models import Tenant

_NAMED = DriverStatement(select(Tenant.name).where(Tenant.slug == bindparam("slug")))
_RENAME = DriverStatement(update(Tenant).where(Tenant.slug == bindparam("slug"))
                          .values(name=bindparam("new_name"), updated_at=Tenant.updated_at).returning(Tenant.name))
_TOUCH = DriverStatement(update(Tenant).where(Tenant.slug == bindparam("slug"))
                         .values(name=literal_column("name"), updated_at=Tenant.updated_at))


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


def test_a_missing_parameter_is_named(conn):
    with pytest.raises(TypeError, match="no value for parameter 'slug'"):
        _NAMED.first(conn, {"name": "Acme"})


def test_a_parameter_used_twice_takes_one_value(conn):
    twice = DriverStatement(select(Tenant.name).where(Tenant.slug == bindparam("slug"),
                                                      Tenant.name != bindparam("slug")))
    assert twice.names == ("slug",)
    assert twice.first(conn, {"slug": "acme"}) == ("Acme",)
