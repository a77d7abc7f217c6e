"""Alembic environment: ccctl passes the connection in ``config.attributes``."""

import importlib
import importlib.util

from alembic import context

from ccctl.db.models import Base

connection = context.config.attributes["connection"]
# Plugins keep their tables in ``<package>.models``; import them so autogenerate sees them.
for package in context.config.attributes.get("plugin_packages", ()):
    if importlib.util.find_spec(f"{package}.models") is not None:
        importlib.import_module(f"{package}.models")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # `db revision --plugin NAME` compares only that plugin's tables (ccctl.db.revision).
    include_object=context.config.attributes.get("include_object"),
)
with context.begin_transaction():
    context.run_migrations()
