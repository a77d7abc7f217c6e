"""Bring a database to the newest schema of core and every loaded plugin."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, pm=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(MIGRATIONS / "versions")]
    if pm is not None:
        pm.hook.ccctl_migrations(register=lambda path: locations.append(str(path)))
        cfg.attributes["plugin_packages"] = [
            getattr(plugin, "__name__", "") for _name, plugin in pm.list_name_plugin() if plugin is not None
        ]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    return cfg


def pending_heads(engine: Engine, pm=None) -> set[str]:
    """Heads of the known migration scripts not yet applied to ``engine``."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine, pm))
    with engine.connect() as conn:
        applied = set(MigrationContext.configure(conn).get_current_heads())
    wanted = set(script.get_heads())
    if not applied:
        return wanted
    # An applied head may be an ancestor of a wanted one: compare full histories.
    done = {rev.revision for head in applied for rev in script.iterate_revisions(head, "base")}
    return {head for head in wanted if head not in done}


def upgrade(engine: Engine, pm=None) -> None:
    from alembic import command

    cfg = alembic_config(engine, pm)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def ensure_schema(engine: Engine, pm=None) -> None:
    """Upgrade when anything is pending; cheap when the database is current."""
    if pending_heads(engine, pm):
        upgrade(engine, pm)


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()
