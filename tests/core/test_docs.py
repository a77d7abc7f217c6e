"""Documentation stays true: every hook and every core YAML key is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccctl import hookspecs
from ccctl.config.model import Queue, TenantConfig

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("ccctl_"))


def test_hookspecs_found():
    assert "ccctl_item_created" in HOOKS and len(HOOKS) >= 10


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_documented(hook):
    assert re.search(rf"^\| `{hook}\(", (DOCS / "plugins.md").read_text(), re.M), \
        f"docs/plugins.md: add a line for {hook} to the hooks table"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


KEYS = [("", name) for name in TenantConfig.model_fields] + [("queues.", name) for name in Queue.model_fields]


@pytest.mark.parametrize("prefix,key", KEYS, ids=[p + k for p, k in KEYS])
def test_every_core_yaml_key_is_documented(prefix, key):
    assert f"`{key}`" in (DOCS / "tenant-config.md").read_text(), f"docs/tenant-config.md: document {prefix}{key}"


def test_documented_example_applies(ccctl, tmp_path):
    """The complete YAML example in tenant-config.md is valid as written."""
    text = (DOCS / "tenant-config.md").read_text()
    example = text.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "doc-example.yaml"
    path.write_text(example, encoding="utf-8")
    assert ccctl.json("tenant", "apply", "-f", path)[0]["tenant"] == "voyages-lumiere"
