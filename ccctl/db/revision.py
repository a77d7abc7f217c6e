"""``ccctl db revision --plugin NAME``: a migration that touches only that plugin's tables,
on the plugin's own branch.

Autogenerate compares the models with a migrated database.  Left alone it proposes to drop
every table it finds in the database but not in the models (another plugin's FTS tables,
or a plugin whose models were not imported), and it hangs a plugin's revision on core's
head.  For a plugin both are wrong: the comparison is restricted to the tables the plugin's
own models define, and the parent is the plugin's branch head (a new branch, depending on
core, for its first revision).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

from ccctl.errors import InputError


def plugin_package(pm, name: str) -> str:
    """The package of plugin ``name`` (a module plugin: its ``models`` live beside it)."""
    plugin = pm.get_plugin(name)
    if plugin is None:
        loaded = ", ".join(sorted(n for n, p in pm.list_name_plugin() if p is not None)) or "none"
        raise InputError(f"no plugin '{name}' is loaded (loaded: {loaded})")
    if not isinstance(plugin, ModuleType):
        raise InputError(f"plugin '{name}' is not a module: its tables cannot be found")
    return plugin.__name__.split(":")[0]


def plugin_tables(package: str) -> set[str]:
    """Names of the tables mapped by classes defined in ``<package>.models`` (or its submodules)."""
    if importlib.util.find_spec(f"{package}.models") is not None:
        importlib.import_module(f"{package}.models")
    from ccctl.db.models import Base

    tables = set()
    for mapper in Base.registry.mappers:
        module = mapper.class_.__module__
        if module == package or module.startswith(package + "."):
            tables.update(t.name for t in mapper.tables)
    return tables


def plugin_version_path(pm, name: str) -> Path:
    """The migrations folder plugin ``name`` registers through ``ccctl_register_migrations``."""
    from ccctl.plugins import each_plugin

    folders: list[Path] = []
    for plugin, call in each_plugin(pm, "ccctl_register_migrations"):
        if plugin == name:
            call(register=lambda path: folders.append(Path(path)))
    if len(folders) != 1:
        raise InputError(f"plugin '{name}' must register exactly one migrations folder through "
                         f"ccctl_register_migrations (it registers {len(folders)}); see docs/plugins.md")
    return folders[0]


def has_branch(script, label: str) -> bool:
    return any(label in (rev.branch_labels or ()) for rev in script.walk_revisions())


def only_tables(names: set[str]):
    """An Alembic ``include_object`` that keeps the named tables and what hangs on them."""
    def include_object(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in names

    return include_object


def plugin_revision(app, name: str, message: str, rev_id: str) -> Path:
    """Write the plugin's next revision; returns its path."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from ccctl.db.engine import make_engine
    from ccctl.db.schema import alembic_config, upgrade

    tables = plugin_tables(plugin_package(app.pm, name))
    if not tables:
        raise InputError(f"plugin '{name}' defines no table (its models go in "
                         f"{plugin_package(app.pm, name)}/models.py on ccctl.db.models.Base)")
    folder = plugin_version_path(app.pm, name)
    engine = make_engine(app.database_url)
    upgrade(engine, app.pm)
    cfg = alembic_config(engine, app.pm)
    cfg.attributes["include_object"] = only_tables(tables)
    first = not has_branch(ScriptDirectory.from_config(cfg), name)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        script = command.revision(
            cfg, message=message, autogenerate=True, rev_id=rev_id, version_path=str(folder),
            head="base" if first else f"{name}@head", branch_label=name if first else None,
            depends_on="core@head" if first else None)
    engine.dispose()
    return Path(script.path)
