"""Core test helpers: tenant YAML files, test plugins registered under a name, DB snapshots."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from ccctl.hookspecs import hookimpl
from ccctl.plugins import get_plugin_manager

@pytest.fixture
def write_yaml(tmp_path):
    """write_yaml("dir/name.yaml", text) → the path (text is dedented)."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


class RecorderConfig(BaseModel):
    """The tenant YAML section of the test plugins."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    api_token: str | None = None


class Recorder:
    """A test plugin that writes down every event hook call it receives, with the tenant."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[str, str]] = []

    @hookimpl
    def ccctl_register_config_schema(self, register):
        register(self.name, RecorderConfig)

    @hookimpl
    def ccctl_item_created(self, item, ctx):
        self.calls.append(("item_created", ctx.tenant.slug))

    @hookimpl
    def ccctl_customer_merged(self, source, target, ctx):
        self.calls.append(("customer_merged", ctx.tenant.slug))

    def tenants(self, hook: str) -> set[str]:
        return {slug for name, slug in self.calls if name == hook}


@pytest.fixture
def recorders():
    """Two named test plugins, 'watcher' and 'auditor', plus a plugin manager holding them."""
    watcher, auditor = Recorder("watcher"), Recorder("auditor")
    pm = get_plugin_manager(extra=[("watcher", watcher), ("auditor", auditor)])
    return pm, watcher, auditor


def db_rows(app, tenant_slug: str | None = None) -> dict[str, list]:
    """Every row of every table (of one tenant when named), as JSON-comparable lists."""
    from sqlalchemy import select

    from ccctl.db.models import Base, Tenant

    out: dict[str, list] = {}
    with app.engine.connect() as conn:
        tenant_id = None
        if tenant_slug:
            tenant_id = conn.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
        for table in Base.metadata.sorted_tables:
            query = select(table)
            if tenant_id is not None:
                if "tenant_id" in table.c:
                    query = query.where(table.c.tenant_id == tenant_id)
                elif table.name == "tenants":
                    query = query.where(table.c.id == tenant_id)
                else:
                    continue
            rows = conn.execute(query.order_by(*table.primary_key.columns)).mappings().all()
            out[table.name] = json.loads(json.dumps([dict(r) for r in rows], default=str))
    return out


@pytest.fixture
def snapshot(app):
    """snapshot(slug=None) → every row (of one tenant when named), to compare before/after."""
    return lambda slug=None: db_rows(app, slug)


@pytest.fixture
def tenant_yaml(write_yaml):
    """tenant_yaml(slug, extra="", name=..., file=...) → a valid tenant file (plus ``extra`` lines);
    a thin alias over ``ccctl.testing.tenant_yaml``."""
    from ccctl.testing import tenant_yaml as build

    def make(slug: str, extra: str = "", name: str | None = None, file: str | None = None) -> Path:
        text = build(slug, name=name, business_hours={"mon-fri": ["09:00-18:00"]}, extra=extra)
        return write_yaml(file or f"clients/{slug}.yaml", text)

    return make

