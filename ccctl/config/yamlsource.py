"""Read YAML while remembering the line of every key, for errors that point at it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ccctl.errors import ConfigError

Path_ = tuple[str | int, ...]


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


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = path + (str(key_node.value),)
            lines[key] = key_node.start_mark.line + 1
            _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, path + (index,), lines)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML keeps the last silently)."""

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
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        loader = _UniqueKeyLoader(text)
        loader.name = file
        try:
            data = loader.get_single_data()
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
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return Located(data, lines, file)


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
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", str(path)) from None
    return load_yaml(text, str(path))
