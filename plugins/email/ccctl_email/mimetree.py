"""A faster reading of well-formed mail into the same compat32 ``Message`` tree the stdlib builds.

:func:`message_tree` tries :func:`_tree` and falls back on ``email.message_from_bytes``
for anything unusual, so the result is always the stdlib's reading of the message.
"""

from __future__ import annotations

import email
import re
from email.message import Message

# A header field's first line, as the stdlib parser recognises it (printable name, colon).
HEADER_NAME = re.compile(r"[\041-\071\073-\176]+:")
MAX_DEPTH = 30


class _Unusual(Exception):
    """Not the plain shape :func:`_tree` reads; the stdlib parser reads the message instead."""


def _headers(head: bytes) -> Message:
    """A header block as the stdlib's compat32 parser stores it (folded lines kept as sent)."""
    msg = Message()
    lines = head.decode("ascii", "surrogateescape").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    current: list[str] = []
    for line in lines:
        line += "\n"
        if line[0] in " \t":
            if not current:
                raise _Unusual  # a continuation line first
            current.append(line)
            continue
        if current:
            msg.set_raw(*_field(current))
        if HEADER_NAME.match(line) is None:
            raise _Unusual  # a Unix From line, or no header at all: the stdlib's own reading
        current = [line]
    if current:
        msg.set_raw(*_field(current))
    return msg


def _field(lines: list[str]) -> tuple[str, str]:
    # compat32's header_source_parse: the value keeps its folding, loses the final line end.
    name, value = lines[0].split(":", 1)
    return name, (value.lstrip(" \t") + "".join(lines[1:])).rstrip("\r\n")


def _head_and_body(data: bytes) -> tuple[bytes, bytes]:
    """Split at the first empty line, as the stdlib parser does (no empty line: all headers)."""
    if data.startswith((b"\n", b"\r\n")):
        return b"", data[1 if data[:1] == b"\n" else 2:]
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\n\r\n")) if i >= 0]
    end = min(ends) if ends else len(data)
    head = data[:end + 1]
    if head.count(b"\r") != head.count(b"\r\n"):
        raise _Unusual  # bare CR line ends
    return head, data[end + (2 if data[end + 1:end + 2] == b"\n" else 3):]


def _parts(body: bytes, boundary: str) -> list[bytes]:
    """The parts between ``--boundary`` lines (preamble and epilogue dropped, like the stdlib).

    The line end before a delimiter belongs to it. No closing delimiter, an empty part or
    bare CR line ends: unusual.
    """
    if body.count(b"\r") != body.count(b"\r\n"):
        raise _Unusual  # bare CR line ends
    delimiter = b"--" + boundary.encode("ascii", "surrogateescape")
    parts: list[bytes] = []
    start = None  # where the open part's content begins
    at = body.find(delimiter)
    while at >= 0:
        if at == 0 or body[at - 1] == 10:  # at the start of a line
            line_end = body.find(b"\n", at)
            rest = body[at + len(delimiter):line_end if line_end >= 0 else len(body)].rstrip(b"\r")
            closing = rest.startswith(b"--")
            if not (rest[2:] if closing else rest).strip(b" \t"):
                if start is not None:
                    end = at - (2 if body[at - 2:at] == b"\r\n" else 1)
                    if end <= start:
                        raise _Unusual  # an empty part: the stdlib's reading of it is its own
                    parts.append(body[start:end])
                if closing:
                    return parts
                start = line_end + 1 if line_end >= 0 else len(body)
        at = body.find(delimiter, at + 1)
    raise _Unusual


def _tree(data: bytes, depth: int = 0, outer: tuple[str, ...] = ()) -> Message:
    """The same ``Message`` tree as ``email.message_from_bytes`` for well-formed mail, faster.

    The stdlib compiles a regular expression for every multipart boundary it meets, which
    costs more than everything else it does for a message with attachments; here parts are
    cut with ``bytes.find``, and header blocks are read as compat32 stores them. Anything
    unusual (bare CR line ends, a header block the stdlib would end early, no boundary, an
    enclosing part's boundary again, no closing delimiter, an empty part, an attached
    message or a digest, deep nesting) raises :class:`_Unusual` and the caller falls back
    on the stdlib parser for the whole message.
    """
    if depth > MAX_DEPTH:
        raise _Unusual
    head, body = _head_and_body(data)
    msg = _headers(head)
    maintype = msg.get_content_maintype()
    if maintype == "multipart":
        boundary = msg.get_boundary()
        if not boundary or boundary in outer or msg.get_content_subtype() == "digest":
            raise _Unusual  # a digest's parts default to message/rfc822: the stdlib's reading
        msg.set_payload([_tree(part, depth + 1, (*outer, boundary)) for part in _parts(body, boundary)])
    elif maintype == "message":
        raise _Unusual
    else:
        msg.set_payload(body.decode("ascii", "surrogateescape"))
    return msg


def message_tree(raw: bytes) -> Message:
    """``raw`` as a compat32 ``Message``: :func:`_tree`, else the stdlib parser."""
    try:
        return _tree(raw)
    except _Unusual:
        return email.message_from_bytes(raw)
