"""A migrated database per test: a copied SQLite file, or a truncated private PostgreSQL schema.

``CCCTL_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test`` selects
PostgreSQL: the run gets its own schema (dropped at the end), so runs never see each other.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

URL_ENV = "CCCTL_TEST_DATABASE_URL"


def configured_url() -> str | None:
    return os.environ.get(URL_ENV) or None


@dataclass
class Template:
    """The database every test starts from, migrated once per run for the installed plugins."""

    kind: str                  # "sqlite" or "postgresql"
    url: str                   # the template file's URL, or the private schema's
    path: Path | None = None   # the SQLite file
    heads: frozenset[str] = frozenset()

    def __getitem__(self, key: str):  # the old dict shape: _migrated["kind"], ["url"], ["template"]
        return self.path if key == "template" else getattr(self, key)


@contextlib.contextmanager
def migrated_template(folder: Path) -> Iterator[Template]:
    """Migrate a template database with every installed plugin: a file in ``folder`` or a PG schema."""
    from ccctl.db.engine import make_engine
    from ccctl.db.schema import applied_heads, upgrade
    from ccctl.db.scratch import scratch_schema
    from ccctl.plugins import get_plugin_manager

    pm = get_plugin_manager()
    pg = configured_url()
    if pg:
        with scratch_schema(pg, "ccctl_test") as url:
            engine = make_engine(url)
            upgrade(engine, pm)
            heads = frozenset(applied_heads(engine))
            engine.dispose()
            yield Template("postgresql", url, heads=heads)
        return
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, pm)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    yield Template("sqlite", f"sqlite:///{path}", path=path)


def fresh_database(template: Template, folder: Path) -> str:
    """URL of an empty, migrated database for one test."""
    if template.kind == "sqlite":
        target = folder / "ccctl.db"
        shutil.copy(template.path, target)
        return f"sqlite:///{target}"
    _reset_schema(template)
    return template.url


def _reset_schema(template: Template) -> None:
    """Empty every table; if a test migrated extra plugins' tables, rebuild the schema instead."""
    from sqlalchemy import text

    from ccctl.db.engine import make_engine
    from ccctl.db.schema import applied_heads, upgrade
    from ccctl.plugins import get_plugin_manager

    engine = make_engine(template.url)
    try:
        if applied_heads(engine) != template.heads:  # a test plugin's migrations ran here
            with engine.begin() as conn:
                schema = conn.scalar(text("SELECT current_schema()"))
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            upgrade(engine, get_plugin_manager())
            return
        with engine.begin() as conn:
            tables = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename != 'alembic_version'"))]
            if tables:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
