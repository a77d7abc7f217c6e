"""Aware datetimes in and out of the database; on SQLite, stored as SQLAlchemy's DATETIME writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from ccctl.db.models import Tenant

MOMENTS = [
    datetime(2026, 12, 6, 7, 40, 0, 123456, tzinfo=timezone.utc),
    datetime(2026, 12, 6, 8, 40, 0, tzinfo=ZoneInfo("Europe/Paris")),  # no microseconds, not UTC
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=-5))),  # a year below 1000
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_sqlite_text_is_sqlalchemy_datetime_format_in_utc(moment):
    ours = Tenant.__table__.c.created_at.type.bind_processor(sqlite.dialect())
    theirs = sqlite.DATETIME().bind_processor(sqlite.dialect())
    assert ours(moment) == theirs(moment.astimezone(timezone.utc).replace(tzinfo=None))
    assert ours(None) is None


def test_a_datetime_comes_back_aware_and_equal(session):
    moment = datetime(2026, 3, 29, 3, 30, 0, 5, tzinfo=ZoneInfo("Europe/Paris"))
    session.add(Tenant(slug="t", name="T", config={}, created_at=moment, updated_at=moment))
    session.flush()
    stored = session.scalar(select(Tenant.created_at).where(Tenant.slug == "t"))
    assert stored == moment and stored.utcoffset() == timedelta(0)
    if session.get_bind().dialect.name == "sqlite":
        raw = session.scalar(text("SELECT created_at FROM tenants WHERE slug = 't'"))
        assert raw == "2026-03-29 01:30:00.000005"
    assert session.scalar(select(Tenant.slug).where(Tenant.created_at == moment)) == "t"


def test_a_naive_datetime_is_refused(session):
    session.add(Tenant(slug="n", name="N", config={}, created_at=datetime(2026, 1, 1), updated_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()
