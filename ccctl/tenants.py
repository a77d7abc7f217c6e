"""Tenants from per-client YAML: validate everything, diff, then apply in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.config.model import TenantConfig, validate_tenant
from ccctl.config.yamlsource import load_yaml_file
from ccctl.db.models import Tenant
from ccctl.errors import ConfigError, InputError

YAML_SUFFIXES = (".yaml", ".yml")


def config_files(paths: list[Path]) -> list[Path]:
    """Every YAML file named, or found (sorted) in the folders named."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())
            if not found:
                raise InputError(f"{path}: no .yaml or .yml file in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def load_configs(paths: list[Path], schemas: dict[str, Any], installed: set[str]) -> list[tuple[Path, TenantConfig]]:
    """Validate every file before anything is applied; tenant ids must be unique across files."""
    loaded: list[tuple[Path, TenantConfig]] = []
    seen: dict[str, Path] = {}
    for path in config_files(paths):
        located = load_yaml_file(path)
        config = validate_tenant(located, schemas, installed)
        if config.tenant in seen:
            raise ConfigError(f"tenant '{config.tenant}' is also defined in {seen[config.tenant]}",
                              str(path), located.line_of(("tenant",)), "tenant")
        seen[config.tenant] = path
        loaded.append((path, config))
    return loaded


@dataclass
class Change:
    tenant: str
    action: str  # create | update | unchanged
    changes: list[str] = field(default_factory=list)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}, 'q': [{'name': 'x'}]} → {'a.b': 1, 'q[x]': {...}}: a key per leaf."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, child in value.items():
            out.update(flatten(child, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        for child in value:
            out.update(flatten(child, f"{prefix}[{child['name']}]"))
    else:
        out[prefix] = value
    return out


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = flatten(old), flatten(new)
    lines = []
    for key in sorted(before.keys() | after.keys()):
        if key not in before:
            lines.append(f"+ {key}: {after[key]!r}")
        elif key not in after:
            lines.append(f"- {key}: {before[key]!r}")
        elif before[key] != after[key]:
            lines.append(f"~ {key}: {before[key]!r} -> {after[key]!r}")
    return lines


def plan(session: Session, configs: list[tuple[Path, TenantConfig]]) -> list[Change]:
    plans = []
    for _path, config in configs:
        new = config.model_dump(mode="json")
        existing = session.scalar(select(Tenant).where(Tenant.slug == config.tenant))
        if existing is None:
            plans.append(Change(config.tenant, "create", diff({}, new)))
        else:
            changes = diff(existing.config, new)
            plans.append(Change(config.tenant, "update" if changes else "unchanged", changes))
    return plans


def apply(session: Session, configs: list[tuple[Path, TenantConfig]]) -> list[Change]:
    """Create or update each tenant; the caller commits once, so it is all or nothing."""
    plans = plan(session, configs)
    for (path, config), change in zip(configs, plans):
        if change.action == "unchanged":
            continue
        data = config.model_dump(mode="json")
        tenant = session.scalar(select(Tenant).where(Tenant.slug == config.tenant))
        if tenant is None:
            tenant = Tenant(slug=config.tenant)
            session.add(tenant)
        tenant.name, tenant.config, tenant.source = config.name, data, str(path)
    session.flush()
    return plans


def tenant_summary(tenant: Tenant) -> dict[str, Any]:
    return {
        "tenant": tenant.slug,
        "name": tenant.name,
        "timezone": tenant.timezone,
        "locale": tenant.config.get("locale"),
        "queues": [q["name"] for q in tenant.config.get("queues", [])],
        "plugins": tenant.enabled_plugins(),
        "source": tenant.source,
        "updated_at": tenant.updated_at,
    }
