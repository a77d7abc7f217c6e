"""The files a tenant owns outside the database (token folders, dry-run logs, brochures...), found through
``ccctl_list_tenant_files`` so that ``tenant delete`` erases them with the rows.

Every loaded plugin is asked (a plugin switched off may still hold files from when it was on).
A path another tenant also declares (the same path, one inside the other) is shared: it is kept
and named, never deleted for one of its owners. Files go before rows: a failure leaves every row
in place, so the deletion can simply be run again.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl.errors import CcctlError


@dataclass
class TenantFiles:
    owned: list[Path] = field(default_factory=list)  # existing paths only this tenant declares
    shared: dict[Path, list[str]] = field(default_factory=dict)  # path -> the other tenants declaring it


def declared(app, session: Session, tenant: Tenant) -> list[Path]:
    """Every path the plugins declare for ``tenant``, absolute, each once, in a stable order."""
    from ccctl.plugins import call_hook

    paths: dict[Path, None] = {}
    for plugin, answer in call_hook(app.context(session, tenant), "ccctl_list_tenant_files"):
        for path in answer or []:
            if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
                raise CcctlError(f"plugin '{plugin}' declared a file of tenant {tenant.slug} that is not a path: "
                                 f"{path!r}")
            paths[Path(os.path.abspath(Path(path).expanduser()))] = None
    return sorted(paths)


def tenant_files(app, session: Session, tenant: Tenant) -> TenantFiles:
    """The existing paths of ``tenant`` to delete, and those shared with another tenant (kept)."""
    others = {other.slug: declared(app, session, other)
              for other in session.scalars(select(Tenant).where(Tenant.id != tenant.id).order_by(Tenant.slug))}
    found = TenantFiles()
    for path in declared(app, session, tenant):
        if not path.exists() and not path.is_symlink():
            continue
        sharing = [slug for slug, theirs in others.items() if any(_overlap(path, p) for p in theirs)]
        if sharing:
            found.shared[path] = sharing
        else:
            found.owned.append(path)
    return found


def remove(paths: list[Path]) -> list[str]:
    """Delete each path (a folder with what it holds; a symlink itself, never its target); returns the
    paths that could not be removed, each with the reason."""
    failed = []
    for path in paths:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            failed.append(f"{path}: {exc.strerror or exc}")
    return failed


def _overlap(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)
