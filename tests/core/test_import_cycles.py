"""No two modules of ccctl or of a built-in plugin import each other (at module level or inside a
function): each pair was a tangle where neither file could be read or changed alone."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_files() -> dict[str, Path]:
    files = {}
    for base in [ROOT / "ccctl", *sorted((ROOT / "plugins").glob("*/ccctl_*"))]:
        for path in base.rglob("*.py"):
            name = ".".join(path.relative_to(base.parent).with_suffix("").parts)
            files[name.removesuffix(".__init__")] = path
    return files


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Modules ``path`` imports when it runs (``if TYPE_CHECKING:`` blocks, for annotations only, aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n in known)
    return found


def two_file_cycles(files: dict[str, Path]) -> list[tuple[str, str]]:
    edges = {name: imports(path, files) - {name} for name, path in files.items()}
    return sorted({tuple(sorted((a, b))) for a, outs in edges.items() for b in outs if a in edges[b]})


def test_no_two_modules_import_each_other():
    cycles = two_file_cycles(module_files())
    assert not cycles, ("these modules import each other; move what both need into a third module "
                        "below them (e.g. ccctl/config/durations.py): " + "; ".join(" <-> ".join(c) for c in cycles))


def test_the_check_sees_a_cycle(tmp_path):
    (tmp_path / "ccctl").mkdir()
    (tmp_path / "ccctl" / "a.py").write_text("def f():\n    from ccctl.b import g\n")
    (tmp_path / "ccctl" / "b.py").write_text("from ccctl import a\n")
    (tmp_path / "ccctl" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import ccctl.a\n")
    (tmp_path / "ccctl" / "a.py").write_text("def f():\n    from ccctl.b import g\n    from ccctl.c import h\n")
    files = {f"ccctl.{n}": tmp_path / "ccctl" / f"{n}.py" for n in "abc"}
    assert two_file_cycles(files) == [("ccctl.a", "ccctl.b")]   # c imports a for annotations only
