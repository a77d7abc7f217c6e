"""Small files kept between runs in the user's cache folder (marshal: builtin and fast to load).

Only for answers that can always be worked out again: a missing, damaged or unwritable
file costs speed, never correctness. ``CCCTL_CACHE_DIR`` moves the folder.
"""

from __future__ import annotations

import marshal
import os


def cache_path(name: str) -> str:
    base = os.environ.get("CCCTL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ccctl")
    return os.path.join(base, name)


def read(path: str, version: int) -> dict | None:
    """The dict stored at ``path`` by :func:`write` with this ``version``, or None."""
    try:
        with open(path, "rb") as f:
            data = marshal.load(f)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return data if isinstance(data, dict) and data.get("version") == version else None


def write(path: str, data: dict) -> None:
    """Store ``data`` (it carries its ``version``) atomically: readers see the old file or the new one."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            marshal.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs speed
