"""MIME parsing: charsets, broken headers, nested multiparts, attachments, and what gets quarantined."""

import hashlib

import pytest

from ccctl_email.mime import Unparseable, decode_bytes, decode_header, html_to_text, parse


def test_encoded_words_and_raw_8bit_headers():
    raw = ("From: =?iso-8859-1?q?J=E9r=F4me_Dupr=E9?= <Jerome@Example.FR>\r\n"
           "Subject: =?utf-8?b?w4ljaGFuZ2U=?= caf\xc3\xa9\r\n"
           "Message-ID: <a@x>\r\n\r\nbody\r\n").encode("latin-1")
    parsed = parse(raw)
    assert parsed.from_addr == "jerome@example.fr"
    assert parsed.from_name == "Jérôme Dupré"
    assert parsed.subject == "Échange café"


@pytest.mark.parametrize("charset, text", [
    ("iso-8859-1", "déjà vu"), ("windows-1252", "€uro"), ("koi8-r", "привет"),
    ("shift_jis", "こんにちは"), ("utf-8", "naïve ☃"), ("iso-2022-jp", "日本語"),
])
def test_body_in_any_charset(charset, text):
    raw = (f"From: a@example.fr\r\nSubject: t\r\nContent-Type: text/plain; charset={charset}\r\n\r\n").encode() \
        + text.encode(charset)
    assert parse(raw).text == text


def test_unknown_or_lying_charset_never_raises():
    assert decode_bytes("déjà".encode(), "x-no-such-charset") == "déjà"
    assert decode_bytes("déjà".encode("latin-1"), "us-ascii") == "déjà"  # falls back to cp1252
    raw = b"From: a@example.fr\r\nSubject: =?bogus?q?x=E9?= =?utf-8?b?!!!?=\r\n" \
          b"Content-Type: text/plain; charset=\"utf-8\r\n\r\n\xff\xfe broken"
    parsed = parse(raw)
    assert "broken" in parsed.text


def test_nested_multiparts_prefer_plain_and_keep_attachments():
    raw = (b"From: a@example.fr\r\nSubject: nested\r\nContent-Type: multipart/mixed; boundary=A\r\n\r\n"
           b"--A\r\nContent-Type: multipart/related; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: multipart/alternative; boundary=C\r\n\r\n"
           b"--C\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html version</p>\r\n"
           b"--C\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n--C--\r\n"
           b"--B\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--B--\r\n"
           b"--A\r\nContent-Type: application/pdf; name=\"=?utf-8?q?facture_=C3=A9t=C3=A9.pdf?=\"\r\n"
           b"Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n"
           b"--A\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@example.fr\r\nSubject: forwarded\r\n\r\ninner\r\n"
           b"--A--\r\n")
    parsed = parse(raw)
    assert parsed.text.strip() == "plain version"
    names = [a.filename for a in parsed.attachments]
    assert names == ["part-1", "facture été.pdf", "forwarded.eml"]
    assert parsed.attachments[1].data == b"%PDF-1.4"
    assert parsed.attachments[1].sha256 == hashlib.sha256(b"%PDF-1.4").hexdigest()


def test_html_only_mail_becomes_text_without_scripts():
    raw = (b"From: a@example.fr\r\nSubject: h\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><head><style>p{}</style></head><body><p>Bonjour&nbsp;&eacute;t&eacute;</p>"
           b"<script>alert(1)</script><p>ligne 2</p></body></html>")
    assert parse(raw).text == "Bonjour été\nligne 2"
    assert html_to_text("<p>unclosed <b>tags") == "unclosed tags"


def test_threading_headers_and_missing_message_id():
    raw = (b"From: a@example.fr\r\nSubject: Re: x\r\nIn-Reply-To: <p2@x>\r\n"
           b"References: <p0@x>\r\n <p1@x> <p2@x>\r\n\r\nbody")
    parsed = parse(raw)
    assert parsed.thread_refs == ["<p2@x>", "<p1@x>", "<p0@x>"]
    assert parsed.synthetic_id and parsed.message_id.endswith("@no-message-id.invalid>")
    assert parse(raw).message_id == parsed.message_id  # same bytes, same id: re-ingesting is harmless
    assert parse(raw + b" changed").message_id != parsed.message_id


def test_message_id_without_brackets_and_broken_date():
    parsed = parse(b"From: a@example.fr\r\nMessage-ID: abc@host\r\nDate: yesterday-ish\r\n\r\nx")
    assert parsed.message_id == "<abc@host>" and parsed.date is None


def test_sender_falls_back_to_reply_to():
    parsed = parse(b"From: undisclosed\r\nReply-To: Real Person <real@example.fr>\r\n\r\nx")
    assert parsed.from_addr == "real@example.fr"


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty message"),
    (b"   \r\n\r\n", "empty message"),
    (b"\x00\x01\x02binary garbage\xff\xfe", "no header found"),
    (b"Subject: no sender\r\n\r\nbody", "no usable sender address"),
    (b"From: not an address\r\nSubject: x\r\n\r\nbody", "no usable sender address"),
])
def test_unparseable_messages_say_why(raw, reason):
    with pytest.raises(Unparseable, match=reason):
        parse(raw)


def test_absurd_nesting_is_refused_not_crashing():
    depth = 60
    head = b"From: a@example.fr\r\nSubject: deep\r\n"
    parts = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
    with pytest.raises(Unparseable, match="nested"):
        parse(head + parts + b"Content-Type: text/plain\r\n\r\nx\r\n")


def test_decode_header_keeps_broken_text():
    assert decode_header("=?utf-8?q?unterminated") == "=?utf-8?q?unterminated"
    assert decode_header(None) == ""
