"""Where raw messages come from: stdin (an MTA pipe), .eml files, Maildir folders and mbox files.

Each source yields ``(label, raw bytes)``; the label names the file (and message) for quarantine.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ccctl.errors import InputError


@dataclass
class Source:
    label: str
    count: int
    messages: Iterator[tuple[str, bytes]]


WARN = True  # False in a parsing worker that is not the one reporting unreadable files


def _read(path: Path | str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _maildir_files(path: Path) -> list[str]:
    """The messages of a Maildir in delivery order (a reply after the message it answers)."""
    # Plain strings: Path objects for 10,000 files cost more to make and sort than reading them.
    files = []
    for sub in ("new", "cur"):
        folder = path / sub
        if folder.is_dir():
            files.extend(e.path for e in os.scandir(folder) if e.is_file() and not e.name.startswith("."))
    return sorted(files, key=_delivery_order)


_UNIQUE = re.compile(r"(\d+)\.([^.]*)")  # "seconds.unique-part.host[:2,flags]"
_FIELD = re.compile(r"([A-Z])(\d+)")


def _delivery_order(path: str) -> tuple:
    """Sort key of a Maildir file: its delivery second, then the microseconds (``M``) and the
    counter (``Q``) that writers such as Dovecot, Postfix and Python's ``mailbox`` put in the
    unique part. Not the plain name: those numbers are not zero-padded, so "M99999" sorts
    after "M100000" although written earlier. Names of another form sort after, by name."""
    name = os.path.basename(path)
    match = _UNIQUE.match(name)
    if match is None:
        return (1, 0, 0, 0, name)
    fields = dict(_FIELD.findall(match.group(2)))
    return (0, int(match.group(1)), int(fields.get("M", 0)), int(fields.get("Q", 0)), name)


def _files(files: list[Path] | list[str]) -> Iterator[tuple[str, bytes]]:
    for file in files:
        try:
            yield str(file), _read(file)
        except OSError as exc:  # vanished or unreadable: say so, keep going
            yield str(file), b""
            if WARN:
                print(f"warning: cannot read {file}: {exc.strerror}", file=sys.stderr)


# mboxrd escapes a body line starting "From " as ">From " (and ">From " as ">>From "...);
# mboxo escapes only the first kind, so a line that was ">From " in an mboxo file comes
# back as "From ": that format cannot tell them apart.
ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


def unescape_from(data: bytes) -> bytes:
    """One ">" fewer on the ">From " lines an mbox writer added."""
    return ESCAPED_FROM.sub(rb"\1", data) if b">From " in data else data


def _mbox(path: Path) -> Source:
    import mailbox

    box = mailbox.mbox(str(path), create=False)
    try:
        count = len(box.keys())
    finally:
        box.close()

    def messages():
        # Opened by whichever process reads it (parsing workers do): a file position of its own.
        box = mailbox.mbox(str(path), create=False)
        try:
            for number, key in enumerate(box.keys(), 1):
                yield f"{path}#{number}", unescape_from(box.get_bytes(key))
        finally:
            box.close()

    return Source(str(path), count, messages())


def _is_mbox(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(5) == b"From "


def open_source(name: str, stdin=None) -> Source:
    """``-`` (stdin: one message), a Maildir, a folder of .eml files, an mbox file or one .eml file."""
    if name == "-":
        stream = stdin or sys.stdin.buffer
        return Source("stdin", 1, iter([("stdin", stream.read())]))
    path = Path(name)
    if not path.exists():
        raise InputError(f"{name}: no such file or folder")
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            files = _maildir_files(path)
        else:
            files = sorted(p for p in path.rglob("*.eml") if p.is_file())
            if not files:
                raise InputError(f"{name}: neither a Maildir (cur/, new/) nor a folder holding .eml files")
        return Source(str(path), len(files), _files(files))
    try:
        if _is_mbox(path):
            return _mbox(path)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    return Source(str(path), 1, _files([path]))
