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
from ccctl.tenant_lookup import find_tenant

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


def load_configs(paths: list[Path], schemas: dict[str, Any], installed: set[str],
                 retention_kinds: dict[str, str] | None = None) -> list[tuple[Path, TenantConfig]]:
    """Validate every file before anything is applied; tenant ids must be unique across files.
    ``retention_kinds`` (core's and the plugins'): the kinds a ``retention`` section may name."""
    loaded: list[tuple[Path, TenantConfig]] = []
    seen: dict[str, Path] = {}
    for path in config_files(paths):
        located = load_yaml_file(path)
        config = validate_tenant(located, schemas, installed)
        if config.tenant in seen:
            raise ConfigError(f"tenant '{config.tenant}' is also defined in {seen[config.tenant]}",
                              str(path), located.line_of(("tenant",)), "tenant")
        seen[config.tenant] = path
        unknown = [k for k in config.retention if retention_kinds is not None and k not in retention_kinds]
        if unknown:
            raise ConfigError(f"no retention kind '{unknown[0]}' (kinds: {', '.join(sorted(retention_kinds))})",
                              str(path), located.line_of(("retention", unknown[0])), f"retention.{unknown[0]}")
        loaded.append((path, config))
    return loaded


@dataclass
class Change:
    tenant: str
    action: str  # create | update | unchanged
    changes: list[str] = field(default_factory=list)
    defaults: int = 0  # of the changes, how many only set a key to its default (a new tenant's)
    warnings: list[str] = field(default_factory=list)  # what applying would leave behind (see queue_warnings)


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


def default_values(config: TenantConfig, schemas: dict[str, Any]) -> dict[str, Any]:
    """Flattened key → the value a tenant gets when its YAML leaves the key out (plugin sections and
    queues too)."""
    from ccctl.config.model import Queue

    hours = TenantConfig.model_fields["business_hours"].default  # validators normalise given values only
    top = TenantConfig.model_validate({"tenant": config.tenant, "name": config.name, "business_hours": hours}
                                      ).model_dump(mode="json")
    top["plugins"] = {name: _defaults(schemas[name]) for name in config.plugins if name in schemas}
    top["queues"] = [Queue.model_validate({"name": q.name}).model_dump(mode="json") for q in config.queues]
    # The required keys have no default: they are always shown.
    return {key: value for key, value in flatten(top).items() if key not in ("tenant", "name")
            and not key.endswith("].name")}


def _defaults(model) -> dict[str, Any]:
    from pydantic import ValidationError

    try:
        return model.model_validate({}).model_dump(mode="json")
    except ValidationError:  # a section with required keys: the defaults of the others
        return model.model_construct().model_dump(mode="json", warnings=False)


def is_default_line(line: str, defaults: dict[str, Any], new: dict[str, Any]) -> bool:
    """``line`` (from :func:`diff`) adds a key at its default value."""
    key = line[2:].split(": ", 1)[0]
    return line.startswith("+ ") and key in defaults and defaults[key] == new.get(key)


def live_items_by_queue(session: Session, tenant: Tenant) -> dict[str, int]:
    from sqlalchemy import func

    from ccctl.db.models import WorkItem

    rows = session.execute(select(WorkItem.queue, func.count()).where(
        WorkItem.tenant_id == tenant.id, WorkItem.state != "closed").group_by(WorkItem.queue))
    return dict(rows.all())


def queue_warnings(session: Session, tenant: Tenant, config: TenantConfig) -> list[str]:
    """Queues the new YAML drops while they still hold items that are not closed."""
    kept = {q.name for q in config.queues}
    return [f"queue '{name}' is removed but holds {count} item(s) not closed: move them first "
            f"(ccctl queue list --queue {name} -t {tenant.slug}; ccctl item transfer ID --queue OTHER) "
            f"or apply with --force"
            for name, count in sorted(live_items_by_queue(session, tenant).items()) if name not in kept]


def plan(session: Session, configs: list[tuple[Path, TenantConfig]],
         schemas: dict[str, Any] | None = None) -> list[Change]:
    plans = []
    for _path, config in configs:
        new = config.model_dump(mode="json")
        existing = find_tenant(session, config.tenant)
        if existing is None:
            changes = diff({}, new)
            defaults, flat = default_values(config, schemas or {}), flatten(new)
            plans.append(Change(config.tenant, "create", changes,
                                defaults=sum(is_default_line(line, defaults, flat) for line in changes)))
        else:
            changes = diff(existing.config, new)
            plans.append(Change(config.tenant, "update" if changes else "unchanged", changes,
                                warnings=queue_warnings(session, existing, config)))
    return plans


def apply(session: Session, configs: list[tuple[Path, TenantConfig]], *, force: bool = False,
          schemas: dict[str, Any] | None = None) -> list[Change]:
    """Create or update each tenant; the caller commits once, so it is all or nothing.

    A queue dropped while it still holds items is refused (their items would be stranded in a
    queue nobody can see) unless ``force``."""
    plans = plan(session, configs, schemas)
    stranded = [f"{change.tenant}: {warning}" for change in plans for warning in change.warnings]
    if stranded and not force:
        raise InputError("nothing applied:\n  " + "\n  ".join(stranded))
    for (path, config), change in zip(configs, plans):
        if change.action == "unchanged":
            continue
        data = config.model_dump(mode="json")
        tenant = find_tenant(session, config.tenant)
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
