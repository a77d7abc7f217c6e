"""The ``ccctl`` entry points of every installed distribution, memoised between runs.

``importlib.metadata`` reads the metadata of every installed distribution, which costs
more than the rest of ``ccctl --help``.  The result is cached in a small file (marshal format) whose
key is a fingerprint of ``sys.path``: the modification time of each folder on it (adding
or removing a distribution creates or deletes a ``*.dist-info`` folder there) and of each
``entry_points.txt`` that declared a ccctl plugin (editing one in place).  Any change
means a fresh scan, so a plugin is found exactly as without the cache.
``CCCTL_NO_PLUGIN_CACHE=1`` always scans.
"""

from __future__ import annotations

import os
import sys
import zlib
from typing import NamedTuple

from ccctl import cache  # marshal, builtin and already loaded: json would cost --help a millisecond

GROUP = "ccctl"
CACHE_VERSION = 1


class EntryPoint(NamedTuple):
    name: str
    value: str  # "module" or "module:attr"
    dist: str
    version: str
    metadata_path: str  # the entry_points.txt that declared it ('' when unknown)


def ccctl_entry_points() -> list[EntryPoint]:
    """Entry points of the ``ccctl`` group, in discovery order, from the cache when valid."""
    if os.environ.get("CCCTL_NO_PLUGIN_CACHE"):
        return scan()
    path = cache_file()
    key = _path_fingerprint()
    cached = cache.read(path, CACHE_VERSION)
    if cached is not None and cached.get("key") == key:
        try:
            if _files_unchanged(cached["files"]):
                return [EntryPoint(*ep) for ep in cached["entry_points"]]
        except (KeyError, TypeError, AttributeError):
            pass  # a damaged cache file: scan again and rewrite it
    found = scan()
    _write(path, key, found)
    return found


def scan() -> list[EntryPoint]:
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=GROUP):
        dist = ep.dist
        located = getattr(dist, "_path", None)
        metadata_path = os.path.join(str(located), "entry_points.txt") if located else ""
        found.append(EntryPoint(ep.name, ep.value, dist.name if dist else "", dist.version if dist else "",
                                metadata_path))
    return found


def cache_file() -> str:
    # One file per interpreter and search path, so virtualenvs never share an answer.
    digest = zlib.crc32("\0".join([sys.executable, *sys.path]).encode())
    return cache.cache_path(f"entry-points-{digest:08x}.marshal")


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path or ".").st_mtime_ns
    except OSError:
        return None


def _path_fingerprint() -> list:
    return [sys.executable, [[entry, _mtime(entry)] for entry in sys.path]]


def _files_unchanged(files: dict[str, int | None]) -> bool:
    return all(_mtime(path) == mtime for path, mtime in files.items())


def _write(path: str, key: list, found: list[EntryPoint]) -> None:
    files = {ep.metadata_path: _mtime(ep.metadata_path) for ep in found if ep.metadata_path}
    cache.write(path, {"version": CACHE_VERSION, "key": key, "files": files,
                       "entry_points": [list(ep) for ep in found]})
