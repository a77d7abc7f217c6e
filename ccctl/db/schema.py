"""Bring a database to the newest schema of core and every loaded plugin."""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import ModuleType

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: `customer find`'s quick path reads declared heads only
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
# `revision = "x"` / `down_revision: str | None = ("a", "b")` as Alembic writes them.
REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=(.*)$", re.M)


def version_locations(pm=None) -> list[str]:
    """Core's revision folder and every folder a loaded plugin registers."""
    locations = [str(MIGRATIONS / "versions")]
    if pm is not None:
        from ccctl.plugins import hook_caller

        hook_caller(pm, "ccctl_register_migrations")(register=lambda path: locations.append(str(path)))
    return locations


def alembic_config(engine: Engine, pm=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    locations = version_locations(pm)
    if pm is not None:
        # Module plugins only: an object registered by a test or an embedding app has no package.
        cfg.attributes["plugin_packages"] = [
            plugin.__name__ for _name, plugin in pm.list_name_plugin() if isinstance(plugin, ModuleType)
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
    """Upgrade when anything is pending; cheap when the database is current.

    Importing Alembic and loading every revision costs more than a whole ``customer
    find``, so the common case (the heads in ``alembic_version`` are exactly the heads
    the scripts declare) is settled by reading the scripts' ``revision`` lines; anything
    else, or any file this quick reading cannot follow, goes through Alembic itself.
    """
    declared = declared_heads(pm)
    if declared and declared == applied_heads(engine):
        return
    if pending_heads(engine, pm):
        upgrade(engine, pm)


def declared_heads(pm=None) -> set[str] | None:
    """Revisions no other revision names as its ``down_revision``; None when a file is unclear."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for folder in version_locations(pm):
        try:
            files = [e.path for e in os.scandir(folder) if e.name.endswith(".py") and e.is_file()]
        except OSError:
            return None
        for path in files:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            revision, down = REVISION.search(text), DOWN_REVISION.search(text)
            if revision is None or down is None:
                if "revision" in text:
                    return None  # written in a shape the regex does not know: let Alembic read it
                continue  # a helper module in the folder
            revisions.add(revision.group(1))
            rhs = down.group(1).split("#")[0]
            if rhs.rstrip().endswith(("(", "[")):
                return None  # a tuple over several lines
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", rhs))
    return revisions - parents


def applied_heads(engine: Engine) -> set[str]:
    """The heads recorded in ``alembic_version`` (empty for a new database)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:  # no such table yet
        return set()


def table_names(engine: Engine) -> list[str]:
    from sqlalchemy import inspect

    return inspect(engine).get_table_names()
