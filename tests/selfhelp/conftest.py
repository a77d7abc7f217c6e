"""Fixtures for the selfhelp tests: the example FAQ synced for voyages-lumiere, article folders."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAQ = ROOT / "examples" / "faq" / "voyages-lumiere"
TENANT = "voyages-lumiere"


@pytest.fixture
def faq(example_tenants):
    """Both example clients applied and the example FAQ synced for voyages-lumiere; the runner."""
    example_tenants("faq", "sync", str(FAQ), "-t", TENANT)
    return example_tenants


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def article(title: str, body: str = "Texte.", **front: str) -> str:
    lines = [f"title: {title}"] + [f"{k}: {v}" for k, v in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def tenant_yaml(folder: Path, slug: str, selfhelp: str = "enabled: true", email: bool = True) -> Path:
    """A tenant file with one queue and the given selfhelp section (YAML lines); a thin alias over
    ``ccctl.testing.tenant_yaml``."""
    import yaml

    from ccctl.testing import tenant_yaml as build

    text = build(slug, name=f"Test {slug}", queues=[{"name": "general"}],
                 plugins={"email": email, "selfhelp": yaml.safe_load(textwrap.dedent(selfhelp))})
    path = folder / f"{slug}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
