"""Documentation stays true: every hook and every core YAML key is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ccctl import hookspecs
from ccctl.config.model import Queue, TenantConfig
from ccctl.plugins import get_plugin_manager

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("ccctl_"))
# Where a hook counts as exercised: the suite and the example plugin's own tests.
TEST_FILES = sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "examples" / "plugins").rglob("test_*.py"))


def test_hookspecs_found():
    assert "ccctl_item_created" in HOOKS and len(HOOKS) >= 10


def documented_row(hook: str) -> str:
    """The row a hook needs in docs/plugins.md's hooks table: real signature, reach, kind."""
    spec = getattr(get_plugin_manager(load_entrypoints=False).hook, hook).spec
    contract = hookspecs.CONTRACTS.get(hook)
    reach = {hookspecs.TENANT: "tenant", hookspecs.EVERY: "every"}.get(getattr(contract, "reach", ""), "?")
    kind = getattr(contract, "kind", "?") + (", first result" if spec.opts.get("firstresult") else "")
    summary = (spec.function.__doc__ or "").strip().splitlines()[0] if spec.function.__doc__ else "..."
    return f"| `{hook}({', '.join(spec.argnames)})` | {reach} | {kind} | {summary} |"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_documented_with_its_real_signature_reach_and_kind(hook):
    wanted = documented_row(hook)
    rows = [line for line in (DOCS / "plugins.md").read_text().splitlines() if line.startswith(f"| `{hook}(")]
    assert rows, f"docs/plugins.md: add this row to the hooks table:\n{wanted}"
    assert len(rows) == 1, f"docs/plugins.md: {hook} has {len(rows)} rows in the hooks table; keep one"
    assert rows[0].split(" | ")[:3] == wanted.split(" | ")[:3], (
        f"docs/plugins.md: the {hook} row must start with the real signature, reach and kind:\n"
        f"{' | '.join(wanted.split(' | ')[:3])} | ...\nit is:\n{rows[0]}")


def exercised(hook: str) -> bool:
    """A test implements the hook (``def ccctl_x(``) or calls it by name."""
    pattern = re.compile(rf"def {hook}\(|\.{hook}\(|(?:hook|call_hook|hook_caller|each_plugin)\([^)]*['\"]{hook}['\"]")
    return any(pattern.search(path.read_text(encoding="utf-8")) for path in TEST_FILES
               if path.name not in ("test_docs.py", "test_hook_contract.py"))


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_is_exercised_by_a_test(hook):
    assert exercised(hook), (
        f"no test implements or calls {hook}: add one under tests/<area>/ that implements it in a test "
        f"plugin (class P: @hookimpl def {hook}(...)) registered with get_plugin_manager(extra=[(name, P())]), "
        f"or calls it (call_hook(ctx, \"{hook}\", ...)) and checks what the plugins did")


def test_the_exercise_check_can_fail():
    assert not exercised("ccctl_no_such_hook")


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
