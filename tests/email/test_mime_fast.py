"""The fast MIME reading (own part splitter and header blocks, lazy header decoding, plain
addresses) gives exactly what the stdlib parser gives, and falls back on it for anything odd."""

from __future__ import annotations

import base64
import email
import email.utils

import pytest

from ccctl_email import mimetree
from ccctl_email.mime import Unparseable, addresses, message_tree, parse

HEAD = b"From: Ana <ana@example.fr>\r\nTo: support@example.com\r\nMessage-ID: <m@x>\r\nSubject: t\r\n"
MIXED = HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_a+(b)?.c\"\r\n\r\n"

# Shapes the fast path reads itself (it must not fall back on them).
PLAIN = {
    "crlf": HEAD + b"\r\nline 1\r\nline 2\r\n",
    "lf": HEAD.replace(b"\r\n", b"\n") + b"\nbody\n",
    "folded": b"From: a@example.fr\r\nSubject: a long\r\n  folded\r\n\tsubject\r\nX-Empty:\r\n\r\nb",
    "no body": b"From: a@example.fr\r\nSubject: headers only\r\n",
    "no sender": b"Subject: no sender\r\n\r\nbody",
    "starts with a blank line": b"\r\nFrom: a@example.fr\r\n\r\nbody",
    "no blank line at end": b"From: a@example.fr\r\nSubject: s",
    "8-bit header": "From: Jérôme <j@example.fr>\r\nSubject: café\r\n\r\nx".encode("latin-1"),
    "encoded words": b"From: =?utf-8?q?J=C3=A9r=C3=B4me?= <j@example.fr>\r\nSubject: =?koi8-r?b?"
                     + base64.b64encode("привет".encode("koi8-r")) + b"?=\r\n\r\nx",
    "qp latin-1": HEAD + b"Content-Type: text/plain; charset=iso-8859-1\r\n"
                  b"Content-Transfer-Encoding: quoted-printable\r\n\r\nd=E9j=E0 vu=\r\n suite\r\n",
    "mixed, regex metas in boundary, preamble, epilogue":
        MIXED + b"preamble\r\n--=_a+(b)?.c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n\r\n"
        b"--=_a+(b)?.c  \r\nContent-Type: application/pdf; name=x.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQ=\r\n--=_a+(b)?.c--\r\nepilogue\r\n",
    "look-alike delimiter lines": MIXED + b"--=_a+(b)?.c\r\n\r\nno headers here\r\n--=_a+(b)?.cX\r\n"
                                  b" --=_a+(b)?.c\r\n--=_a+(b)?.c\r\nContent-Type: text/html\r\n\r\n<p>h</p>"
                                  b"\r\n--=_a+(b)?.c--",
    "nested, inner boundary extends the outer":
        HEAD + b"Content-Type: multipart/mixed; boundary=A\r\n\r\n--A\r\n"
        b"Content-Type: multipart/alternative; boundary=AB\r\n\r\n--AB\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
        b"--AB\r\nContent-Type: text/html\r\n\r\n<b>html</b>\r\n--AB--\r\n--A\r\n"
        b"Content-Type: image/png\r\nContent-Disposition: attachment; filename=\"=?utf-8?q?=C3=A9t=C3=A9.png?=\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--A--\r\n",
    "lf multipart": (HEAD + b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                     b"Content-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: text/html\r\n\r\n<i>two</i>\r\n"
                     b"--b--\r\n").replace(b"\r\n", b"\n"),
}

# Shapes the fast path leaves to the stdlib (same result, by construction).
ODD = {
    "empty parts": MIXED + b"--=_a+(b)?.c\r\n--=_a+(b)?.c\r\n\r\n--=_a+(b)?.c--\r\n",
    "bare CR in a multipart": HEAD + b"Content-Type: multipart/mixed; boundary=A\r\n\r\n--A\rtext\r--A--\r\n",
    "bare CR": b"From: a@example.fr\rSubject: mac\r\rbody",
    "unix from": b"From someone Mon Nov 23 10:00:00 2026\r\nFrom: a@example.fr\r\n\r\nbody",
    "space before colon": b"From: a@example.fr\r\nSubject : spaced\r\n\r\nbody",
    "not a header": b"From: a@example.fr\r\nthis is no header\r\nSubject: late\r\n\r\nbody",
    "empty name": b"From: a@example.fr\r\n: nameless\r\n\r\nbody",
    "continuation first": b"  folded\r\nFrom: a@example.fr\r\n\r\nbody",
    "no boundary parameter": HEAD + b"Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\ntext\r\n--x--\r\n",
    "no closing delimiter": MIXED + b"--=_a+(b)?.c\r\nContent-Type: text/plain\r\n\r\ncut short\r\n",
    "boundary never used": MIXED + b"just text\r\n",
    "the same boundary nested": HEAD + b"Content-Type: multipart/mixed; boundary=S\r\n\r\n--S\r\n"
                                b"Content-Type: multipart/alternative; boundary=S\r\n\r\n--S\r\n\r\nwhich?\r\n"
                                b"--S--\r\n--S--\r\n",
    "digest": HEAD + b"Content-Type: multipart/digest; boundary=D\r\n\r\n--D\r\n\r\n"
              b"From: b@example.fr\r\nSubject: in a digest\r\n\r\ndigested\r\n--D--\r\n",
    "attached message": HEAD + b"Content-Type: multipart/mixed; boundary=A\r\n\r\n--A\r\n"
                        b"Content-Type: message/rfc822\r\n\r\nFrom: b@example.fr\r\nSubject: fwd\r\n\r\ninner\r\n--A--\r\n",
    "garbage": b"\x00\x01\x02binary garbage\xff\xfe",
}


def shape(msg):
    """Everything the ingester can read from a parsed message."""
    if msg.is_multipart():
        return (msg.get_content_type(), list(msg.raw_items()), [shape(p) for p in msg.get_payload()])
    return (msg.get_content_type(), list(msg.raw_items()), msg.get_payload(decode=True), msg.get_unixfrom())


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fast_tree_is_the_stdlib_tree(name):
    raw = PLAIN[name]
    fast = mimetree._tree(raw)  # no fallback: this shape is read by the fast path itself
    assert shape(fast) == shape(email.message_from_bytes(raw))


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_shapes_fall_back_on_the_stdlib(name):
    raw = ODD[name]
    with pytest.raises(mimetree._Unusual):
        mimetree._tree(raw)
    assert shape(message_tree(raw)) == shape(email.message_from_bytes(raw))


def _stdlib_only(raw):
    raise mimetree._Unusual


@pytest.mark.parametrize("name", sorted(PLAIN) + sorted(ODD))
def test_parse_gives_what_the_stdlib_path_gives(name, monkeypatch):
    """Same ParsedMail (or the same quarantine reason) with and without the fast path."""
    raw = {**PLAIN, **ODD}[name]

    def outcome():
        try:
            return parse(raw)
        except Unparseable as exc:
            return f"unparseable: {exc}"

    fast = outcome()
    monkeypatch.setattr(mimetree, "_tree", _stdlib_only)
    assert fast == outcome()


@pytest.mark.parametrize("charset, text", [
    ("iso-8859-1", "Jérôme Dupré"), ("windows-1252", "€uro œuvre"), ("koi8-r", "Привет мир"),
    ("shift_jis", "こんにちは"), ("utf-8", "naïve ☃ 日本"), ("iso-2022-jp", "日本語"), ("big5", "中文"),
    ("iso-8859-7", "Καλημέρα"), ("utf-16", "ünïcode"),
])
@pytest.mark.parametrize("encoding", ["b", "q"])
def test_encoded_words_in_any_charset_are_decoded_where_read(charset, text, encoding):
    data = text.encode(charset)
    word = base64.b64encode(data).decode() if encoding == "b" else "".join(f"={b:02X}" for b in data)
    raw = (f"From: =?{charset}?{encoding}?{word}?= <a@example.fr>\r\nSubject: =?{charset}?{encoding}?{word}?=\r\n"
           f"Auto-Submitted: =?{charset}?{encoding}?{word}?=\r\nX-Unread: =?bogus?q?=FF?=\r\n\r\nbody").encode()
    parsed = parse(raw)
    assert (parsed.subject, parsed.from_name, parsed.headers["auto-submitted"]) == (text, text, text)
    assert parsed.from_addr == "a@example.fr"


@pytest.mark.parametrize("value", [
    "a@example.fr", "  a@example.fr  ", "Ana <ana@example.fr>", "Ana  Maria   <ana@example.fr>",
    "J. O'Brien-Smith <j.o+tag@mail.example.co.uk>", "Jérôme Dupré <j@example.fr>", "<bare@example.fr>",
    '"Dupré, Jérôme" <j@example.fr>', "a@example.fr, b@example.fr", "Ana <a@example.fr> (comment)",
    "group: a@example.fr, b@example.fr;", "not an address", "", "a..b@example.fr", "Ana <a@b@c>",
    "Ana <ana@example.fr", "x_y <x_y@example.fr>", "Bob\t<bob@example.fr>",
])
def test_plain_addresses_read_as_getaddresses_reads_them(value):
    assert addresses([value]) == email.utils.getaddresses([value])
    assert addresses([value, "Ana <ana@example.fr>"]) == email.utils.getaddresses([value, "Ana <ana@example.fr>"])
