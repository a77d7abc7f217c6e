#!/usr/bin/env python3
"""Keep the gettext catalogues in line with the sources (needs Babel: pip install babel).

    python scripts/i18n.py update   [DOMAIN...]   # extract the marked texts into every language's .po
    python scripts/i18n.py compile  [DOMAIN...]   # .po -> .mo (shipped; the runtime reads them)
    python scripts/i18n.py check    [DOMAIN...]   # what tests/core/test_i18n_catalogues.py checks

Domains default to core's (``ccctl``) and every built-in plugin's (``ccctl_<name>``).
See docs/developing.md, "Texts customers read".
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def domains() -> list[str]:
    """Core's and every built-in plugin's package that holds a ``locale`` folder."""
    found = ["ccctl"] + sorted(p.parent.name for p in ROOT.glob("plugins/*/ccctl_*/locale"))
    return found


def main(argv: list[str]) -> int:
    from ccctl.testing.catalogues import compile_mo, problems, update

    if not argv or argv[0] not in ("update", "compile", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    action, names = argv[0], argv[1:] or domains()
    failed = False
    for domain in names:
        if action == "update":
            for path in update(domain):
                print(f"updated {path.relative_to(ROOT)}")
        elif action == "compile":
            for path in compile_mo(domain):
                print(f"compiled {path.relative_to(ROOT)}")
        else:
            for line in problems(domain):
                print(line)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
