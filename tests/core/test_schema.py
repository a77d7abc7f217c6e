"""Schema upkeep: migrations run by themselves; the quick heads check agrees with Alembic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from ccctl.context import App
from ccctl.db.engine import make_engine
from ccctl.db.schema import alembic_config, applied_heads, declared_heads, ensure_schema
from ccctl.hookspecs import hookimpl
from ccctl.plugins import get_plugin_manager


def test_declared_heads_agree_with_alembic_for_core_and_every_plugin(tmp_path):
    from alembic.script import ScriptDirectory

    pm = get_plugin_manager()
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert declared_heads(pm) == set(ScriptDirectory.from_config(alembic_config(engine, pm)).get_heads())
    engine.dispose()


def test_a_new_database_is_migrated_on_first_use_and_then_left_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    app = App(get_plugin_manager(), url)
    tables = set(inspect(app.engine).get_table_names())
    assert {"tenants", "customers", "contact_points", "interactions", "work_items"} <= tables
    assert applied_heads(app.engine) == declared_heads(app.pm)
    app.engine.dispose()


def test_a_plugin_migration_added_later_is_applied(tmp_path):
    """An installed plugin brings a new revision: the heads differ, so Alembic runs it."""
    folder = tmp_path / "hello_migrations"
    folder.mkdir()
    (folder / "hello_0001_notes.py").write_text('''\
import sqlalchemy as sa
from alembic import op

revision = "hello_0001"
down_revision = None
branch_labels = ("hello",)
depends_on = "0001_core"


def upgrade():
    op.create_table("hello_notes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("tenant_id", sa.Integer, nullable=False))


def downgrade():
    op.drop_table("hello_notes")
''')

    class Hello:
        @hookimpl
        def ccctl_register_migrations(self, register):
            register(folder)

    url = f"sqlite:///{tmp_path / 'db.db'}"
    engine = make_engine(url)
    ensure_schema(engine, get_plugin_manager())
    assert "hello_notes" not in inspect(engine).get_table_names()
    with_hello = get_plugin_manager(extra=[("hello", Hello())])
    assert "hello_0001" in declared_heads(with_hello) - applied_heads(engine)
    ensure_schema(engine, with_hello)
    assert "hello_notes" in inspect(engine).get_table_names()
    assert "hello_0001" in applied_heads(engine)
    engine.dispose()


def test_a_revision_file_the_quick_check_cannot_read_defers_to_alembic(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "odd_0002.py").write_text('revision = "odd_0002"\ndown_revision = (\n    "odd_0001",\n)\n')

    class Odd:
        @hookimpl
        def ccctl_register_migrations(self, register):
            register(Path(folder))

    assert declared_heads(get_plugin_manager(extra=[("odd", Odd())])) is None
