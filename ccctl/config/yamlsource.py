"""Read YAML while remembering the line of every key, for errors that point at it.

Tenant files come from people and from git: a hostile or broken one must be refused with
the file and line, never exhaust memory or end in a traceback. Limits: ``MAX_BYTES`` per
file, ``MAX_DEPTH`` levels of nesting, ``MAX_NODES`` nodes once aliases are expanded (a
"billion laughs" file is a few hundred bytes), and keys must be plain scalars.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ccctl.errors import ConfigError

Path_ = tuple[str | int, ...]

MAX_BYTES = 1 << 20  # 1 MiB: a tenant file is a few KB; the tenants table keeps each one
MAX_DEPTH = 64  # nesting levels (the composer recurses: 20,000 brackets were a RecursionError)
MAX_NODES = 100_000  # nodes counted with every alias expanded


class Located:
    """YAML data plus the 1-based line of each key path."""

    def __init__(self, data: Any, lines: dict[Path_, int], file: str) -> None:
        self.data, self.lines, self.file = data, lines, file

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def error(self, path: Path_, message: str) -> ConfigError:
        return ConfigError(message, self.file, self.line_of(path), dotted(path) or None)


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str, budget: list[int]) -> None:
    """Record the line of every key path; refuse complex keys and alias expansions beyond ``MAX_NODES``."""
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"the YAML expands to more than {MAX_NODES:,} values (aliases referring to aliases?); "
                          "write the values out or use fewer aliases", file, node.start_mark.line + 1, dotted(path[:1]) or None)
    if len(path) > MAX_DEPTH:  # the composer refused deeper text: these levels come through aliases
        raise ConfigError(f"aliases nest values deeper than {MAX_DEPTH} levels (an anchor used inside itself?)",
                          file, node.start_mark.line + 1, dotted(path[:1]) or None)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError("a key must be plain text, not a list or mapping ('? [a, b]')",
                                  file, key_node.start_mark.line + 1, dotted(path) or None)
            key = path + (str(key_node.value),)
            lines[key] = key_node.start_mark.line + 1
            _walk(value_node, key, lines, file, budget)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, path + (index,), lines, file, budget)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML keeps the last silently),
    nesting deeper than ``MAX_DEPTH``, and values Python cannot build (2026-02-30, 5,000-digit ints)."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ConfigError(f"nested deeper than {MAX_DEPTH} levels", self.name, mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ConfigError(f"invalid value: {exc}", self.name, node.start_mark.line + 1) from None

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(
                    f"duplicate key (first written on line {seen[key]})",
                    self.name, key_node.start_mark.line + 1, str(key),
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, file: str) -> Located:
    if len(text) > MAX_BYTES:
        raise ConfigError(f"the file is larger than {MAX_BYTES // 1024} KB: is it really a tenant file?", file)
    try:
        loader = _UniqueKeyLoader(text)
        loader.name = file
        try:
            node = loader.get_single_node()
            lines: dict[Path_, int] = {}
            if node is not None:
                _walk(node, (), lines, file, [MAX_NODES])  # before building: refuse what would not fit
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        # Where the broken construct started says more than where the parser gave up.
        start = exc.context_mark or exc.problem_mark
        key = _key_at(text, start.line) if start else None
        context = f" ({exc.context} on line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
        raise ConfigError(f"invalid YAML: {exc.problem or exc}{context}", file, line, key) from None
    except RecursionError:  # aliases nesting anchors in anchors, or an anchor inside itself
        raise ConfigError("aliases nest deeper than Python can follow (an anchor used inside itself?)", file) from None
    except yaml.YAMLError as exc:  # the reader's (a control character, a bad encoding): no mark
        raise ConfigError(f"invalid YAML: {exc}", file, _reader_line(text, exc)) from None
    return Located(data, lines, file)


def _reader_line(text: str, exc: yaml.YAMLError) -> int | None:
    position = getattr(exc, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else None


def _key_at(text: str, line_index: int) -> str | None:
    """The key written on line ``line_index`` (0-based) or on the nearest line above it."""
    lines = text.splitlines()
    for line in reversed(lines[: line_index + 1]):
        match = KEY_LINE.match(line)
        if match:
            return match.group(1)
    return None


KEY_LINE = re.compile(r"^\s*(?:-\s+)?([\w.-]+)\s*:")


def load_yaml_file(path: Path) -> Located:
    try:
        if path.stat().st_size > MAX_BYTES:  # not read at all: a 50 MB file must not slow every command
            raise ConfigError(f"the file is larger than {MAX_BYTES // 1024} KB: is it really a tenant file?", str(path))
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", str(path)) from None
    return load_yaml(text, str(path))
