"""Turn raw bytes into a :class:`ParsedMail`, whatever the charset or the damage.

The stdlib's compat32 parser is used because it never raises on broken input and is
about three times faster than ``policy.default``; decoding is done here, leniently.
Only a message we cannot act on (no headers, no sender) raises :class:`Unparseable`.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from html.parser import HTMLParser

from ccctl_email.mimetree import MAX_DEPTH, message_tree

MSGID = re.compile(r"<[^<>\s]+>")
RAW_BYTE = re.compile("[\udc80-\udcff]")
# What no database column may hold (PostgreSQL refuses NUL, every driver lone surrogates), and
# the other C0 controls, which have no business in a name, subject or id.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# An RFC 2047 encoded word: an atom to the address parser, decoded only in the display name.
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=")
MASKED_WORD = re.compile(r"ccctlencodedword(\d+)x")
MAX_ADDRESS = 254  # RFC 5321's limit on a path
# One plain address, optionally after a plain name: what ``getaddresses`` would return,
# without its character-by-character scan (anything else goes to ``getaddresses``).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
SIMPLE_ADDRESS = re.compile(rf"[ \t]*(?:([\w .'-]*?)[ \t]*<({_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*)>"
                            rf"|({_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*))[ \t]*")
MAX_BODY = 200_000
# Headers the loop and bulk checks look at (lower-case).
KEPT_HEADERS = ("auto-submitted", "precedence", "list-id", "list-unsubscribe", "x-auto-response-suppress",
                "x-autoreply", "x-autorespond", "x-autoresponder", "x-ms-exchange-inbox-rules-loop", "return-path",
                "content-language")


class Unparseable(Exception):
    """The message cannot be ingested; ``str(exc)`` is the reason kept in quarantine."""


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ParsedMail:
    message_id: str
    synthetic_id: bool
    from_addr: str
    from_name: str
    subject: str
    text: str
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    date: datetime | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def thread_refs(self) -> list[str]:
        """Referenced Message-IDs, nearest first (In-Reply-To, then References newest first)."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def storable(text: str, limit: int | None = None) -> str:
    """``text`` as every database stores it alike: no NUL, no lone surrogate, no other C0
    control but tab and line ends, at most ``limit`` characters."""
    if not text.isprintable() and UNSTORABLE.search(text):
        text = UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)
    return text[:limit] if limit is not None else text


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Declared charset, else UTF-8, else Windows-1252 with replacement: never raises."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            codec = codecs.lookup(candidate.strip().strip('"').lower())
            return data.decode(codec.name)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("cp1252", errors="replace")


def _unescape_raw(value: str) -> str:
    # compat32 keeps raw 8-bit header bytes as surrogate escapes.
    if not value.isascii() and RAW_BYTE.search(value):
        return decode_bytes(value.encode("ascii", "surrogateescape"), None)
    return value


def decode_header(value: object) -> str:
    """RFC 2047 encoded words and raw 8-bit bytes → text; broken encodings degrade, never raise."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        # A header with raw 8-bit bytes: decode the bytes, then any encoded words left in it.
        chunks = email.header.decode_header(value)
        value = "".join(decode_bytes(c, cs) if isinstance(c, bytes) else c for c, cs in chunks)
    text = str(value)
    if "=?" not in text:
        return " ".join(_unescape_raw(text).split())
    try:
        parts = email.header.decode_header(text)
    except Exception:  # noqa: BLE001 - any damage: keep the raw text
        return " ".join(_unescape_raw(text).split())
    out = []
    for chunk, charset in parts:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else _unescape_raw(chunk))
    return " ".join("".join(out).split())


def message_ids(value: object) -> list[str]:
    return MSGID.findall(str(value or ""))[:100]


def _normal_id(value: object, raw: bytes) -> tuple[str, bool]:
    found = message_ids(value)
    if found:
        if len(found[0]) <= 400:
            return found[0], False
        # Too long to index: the same long id must still give the same key.
        return f"<{hashlib.sha256(found[0].encode()).hexdigest()[:40]}@long-message-id.invalid>", False
    text = str(value or "").strip()
    if text and " " not in text and len(text) <= 400:
        return f"<{text.strip('<>')}>", False
    # No usable Message-ID: derive one from the bytes, so the same file twice is still one message.
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid>", True


class _Heads(dict):
    """Lower-case name → values, in order: one pass, where each ``msg.get`` rescans every header.

    Values go through the policy (which turns raw 8-bit text into a ``Header``) only when
    read: most of a message's headers are never looked at.
    """

    def __init__(self, msg: Message) -> None:
        super().__init__()
        self.fetch = msg.policy.header_fetch_parse
        for name, value in msg.raw_items():
            self.setdefault(name.lower(), []).append((name, value))

    def get(self, name: str, default=()) -> list:
        found = super().get(name)
        return [self.fetch(n, v) for n, v in found] if found else list(default)


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """``email.utils.getaddresses`` of decoded header values; one plain address per value is read faster."""
    out = []
    for value in values:
        match = SIMPLE_ADDRESS.fullmatch(value)
        if match is None:
            return email.utils.getaddresses(values)
        name, addr, bare = match.groups()
        out.append((" ".join(name.split()), addr) if addr else ("", bare))
    return out


def parsed_addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs of raw header values: the structure is read first, the
    encoded words in names decoded after. Decoding first would let an encoded ``<``, ``,`` or
    line break in a display name forge the address (``=?utf-8?q?victim@x?= <evil@y>``)."""
    masked, words = [], []

    def mask(match: re.Match) -> str:
        words.append(match.group())
        return f"ccctlencodedword{len(words) - 1}x"

    for value in values:
        text = _unescape_raw(value)
        masked.append(" ".join((ENCODED_WORD.sub(mask, text) if "=?" in text else text).split()))
    found = addresses(masked)
    if not words:
        return [(storable(name), addr) for name, addr in found]
    out = []
    for name, addr in found:
        name = decode_header(MASKED_WORD.sub(lambda m: words[int(m.group(1))], name))
        out.append((storable(name), MASKED_WORD.sub(lambda m: words[int(m.group(1))], addr)))
    return out


def _raw_values(heads: _Heads, name: str) -> list[str]:
    """A header's values as sent (raw 8-bit bytes kept as surrogate escapes), for address parsing."""
    return [value for _name, value in dict.get(heads, name, ())]


def _sender(heads: _Heads) -> tuple[str, str]:
    from ccctl.contacts import normalize_email
    from ccctl.errors import InputError

    for header in ("from", "reply-to", "sender", "return-path"):
        for name, addr in parsed_addresses(_raw_values(heads, header)):
            if len(addr) > MAX_ADDRESS or not addr.isprintable():
                continue
            try:
                return normalize_email(addr), name.strip().strip('"')
            except InputError:
                continue
    raise Unparseable("no usable sender address (From, Reply-To, Sender, Return-Path)")


class _TextFromHtml(HTMLParser):
    BREAKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BREAKS:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - hopeless markup: strip tags crudely
        return re.sub(r"<[^>]*>", " ", html)
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - bad base64/quoted-printable: keep what is there
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


def _unescape_mime_headers(part: Message) -> None:
    """Raw UTF-8 in Content-Type or Content-Disposition (``filename="facture-é.pdf"``, common in
    real mail): decode it in place, else compat32 hands back a ``Header`` its own parameter
    parsing cannot read."""
    for name, value in part.raw_items():
        if not value.isascii() and name.lower() in ("content-type", "content-disposition") \
                and RAW_BYTE.search(value):
            part.replace_header(name, storable(_unescape_raw(value)))


def _filename(part: Message) -> str:
    if "content-disposition" not in part and "name" not in (part.get("content-type") or "").lower():
        return ""  # what get_filename() finds without parsing both headers' parameters
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    return storable(decode_header(name), 300) if name else ""


def _walk(part: Message, found: dict, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise Unparseable(f"MIME parts nested deeper than {MAX_DEPTH} levels")
    _unescape_mime_headers(part)
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        data = inner.as_bytes() if isinstance(inner, Message) else _payload(part)
        subject = decode_header(inner.get("subject")) if isinstance(inner, Message) else ""
        found["attachments"].append(Attachment(storable(f"{subject or 'message'}.eml", 300), ctype, data))
        return
    if part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                _walk(child, found, depth + 1)
        return
    filename = _filename(part)
    disposition = str(part.get("content-disposition") or "").split(";")[0].strip().lower()
    inline_text = ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename
    if inline_text:
        key = "plain" if ctype == "text/plain" else "html"
        if found[key] is None:
            found[key] = decode_bytes(_payload(part), part.get_content_charset())
            return
    data = _payload(part)
    if data or filename:
        found["attachments"].append(Attachment(filename or f"part-{len(found['attachments']) + 1}", ctype, data))


def _date(value: object) -> datetime | None:
    """The Date: header in UTC, or None when it is missing or absurd (``+99999999999999999999``
    overflows, year 1 with a negative offset leaves the calendar): a broken clock is no reason
    to refuse a message."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None


def _first(heads: _Heads, name: str):
    values = heads.get(name)
    return values[0] if values else None


def parse(raw: bytes) -> ParsedMail:
    """Parse one message; raises :class:`Unparseable` with the reason when it cannot be ingested.

    Every text field comes out :func:`storable` and within its column's length, so a message
    stores alike on SQLite and PostgreSQL. The reason never quotes the message (personal data).
    """
    if not raw.strip():
        raise Unparseable("empty message")
    try:
        return _parse(raw)
    except Unparseable:
        raise
    except RecursionError:
        raise Unparseable("MIME structure nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - the parser's own bugs must not stop a batch
        raise Unparseable(f"parser error: {type(exc).__name__}") from None


def _ids(value: object) -> list[str]:
    return [storable(i) for i in message_ids(value) if len(i) <= 500]


def _parse(raw: bytes) -> ParsedMail:
    msg = message_tree(raw)
    heads = _Heads(msg)
    if not heads:
        raise Unparseable("no header found: this is not an email message")
    from_addr, from_name = _sender(heads)
    message_id, synthetic = _normal_id(storable(str(_first(heads, "message-id") or "")), raw)
    found = {"plain": None, "html": None, "attachments": []}
    _walk(msg, found)
    text = found["plain"] if found["plain"] is not None else html_to_text(found["html"] or "")
    headers = {}
    for name in KEPT_HEADERS:
        if name in heads:
            headers[name] = storable(decode_header(heads.get(name)[0]), 500)
    to = [addr.lower() for _n, addr in parsed_addresses(_raw_values(heads, "to") + _raw_values(heads, "cc"))
          if "@" in addr and len(addr) <= MAX_ADDRESS and addr.isprintable()]
    return ParsedMail(
        message_id=message_id, synthetic_id=synthetic, from_addr=from_addr, from_name=storable(from_name, 200),
        subject=storable(decode_header(_first(heads, "subject")), 500), text=storable(text, MAX_BODY),
        in_reply_to=_ids(_first(heads, "in-reply-to")), references=_ids(_first(heads, "references")),
        to=to[:50], date=_date(_first(heads, "date")), attachments=found["attachments"], headers=headers,
    )
