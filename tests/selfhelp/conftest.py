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
    """A tenant file with one queue and the given selfhelp section (indented YAML lines)."""
    section = "\n".join("    " + line for line in selfhelp.strip().splitlines())
    return write(folder, f"{slug}.yaml", f"""
        tenant: {slug}
        name: Test {slug}
        queues:
          - name: general
        plugins:
          email:
            enabled: {'true' if email else 'false'}
          selfhelp:
        {section}
        """)
