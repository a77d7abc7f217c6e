"""Property-based tests (hypothesis, the suite's fixed-seed profile) for the MIME parser and the
address and header handling: any bytes parse or are refused with a reason, what parses is
storable on every database, and no display name can change the sender's address."""

import base64

from hypothesis import given
from hypothesis import strategies as st

from ccctl_email.mime import MAX_ADDRESS, UNSTORABLE, Unparseable, decode_header, parse, parsed_addresses

HEADER_NAMES = ["From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "Date", "References", "In-Reply-To",
                "Content-Type", "Content-Disposition", "Content-Transfer-Encoding", "MIME-Version", "X-Junk"]
# Characters that broke parsers somewhere: controls, NUL, escapes, specials, encoded-word marks.
NASTY = st.sampled_from(["\x00", "\r", "\n", "\x1b", "\x9b", "\u202e", "=?", "?=", "<", ">", "@", ",", ";", ":",
                         '"', "\\", "(", ")", "=?utf-8?q?", "=?x-bad?b?", "*0*=", "boundary=", "--", "é", "😀"])
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=8)), max_size=12).map("".join)
VALUE = st.one_of(TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), TEXT.map(lambda t: t.encode("latin-1", "replace")),
                  st.binary(max_size=40))
HEADER = st.tuples(st.one_of(st.sampled_from(HEADER_NAMES), st.text(min_size=1, max_size=10)), VALUE)


@st.composite
def raw_mails(draw) -> bytes:
    """Something like a message: header lines with hostile values, maybe a multipart body."""
    eol = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    lines = [name.encode("utf-8", "surrogatepass") + b": " + value.replace(b"\n", b" ").replace(b"\r", b" ")
             for name, value in draw(st.lists(HEADER, max_size=10))]
    if draw(st.booleans()):
        lines.insert(0, b"From: " + draw(VALUE).replace(b"\n", b"").replace(b"\r", b"") + b" <a@example.fr>")
    if draw(st.booleans()):
        boundary = draw(st.sampled_from([b"B", b"=_x+(y)?", b""]))
        lines.append(b"Content-Type: multipart/mixed; boundary=\"" + boundary + b"\"")
        body = eol.join([b"--" + boundary, b"Content-Disposition: attachment; filename=\"" + draw(VALUE)
                         .replace(b"\n", b"").replace(b"\r", b"") + b"\"", b"", draw(st.binary(max_size=60)),
                         b"--" + boundary + draw(st.sampled_from([b"--", b""]))])
    else:
        body = draw(st.binary(max_size=200))
    return eol.join(lines) + eol + eol + body


def storable_fields(parsed) -> list[str]:
    return [parsed.message_id, parsed.from_addr, parsed.from_name, parsed.subject, parsed.text, *parsed.to,
            *parsed.references, *parsed.in_reply_to, *(a.filename for a in parsed.attachments),
            *parsed.headers.values()]


@given(st.one_of(raw_mails(), st.binary(max_size=300)))
def test_any_bytes_parse_to_storable_fields_or_are_refused(raw):
    try:
        parsed = parse(raw)
    except Unparseable as exc:
        assert str(exc) and "@" not in str(exc)  # a reason, quoting nothing of the message
        return
    for value in storable_fields(parsed):
        assert UNSTORABLE.search(value) is None, value
    assert len(parsed.subject) <= 500 and len(parsed.from_name) <= 200 and len(parsed.message_id) <= 500
    assert 0 < len(parsed.from_addr) <= MAX_ADDRESS and parsed.from_addr.count("@") >= 1


@given(st.text(max_size=40), st.sampled_from(["b", "q"]))
def test_an_encoded_display_name_never_changes_the_address(name, encoding):
    data = name.encode("utf-8", "surrogatepass")
    if encoding == "b":
        word = f"=?utf-8?b?{base64.b64encode(data).decode()}?="
    else:
        word = "=?utf-8?q?" + "".join(f"={byte:02X}" for byte in data) + "?="
    raw = f"From: {word} <evil@example.org>\r\nSubject: s\r\n\r\nbody".encode()
    parsed = parse(raw)
    assert parsed.from_addr == "evil@example.org"
    assert "\r" not in parsed.from_name and "\n" not in parsed.from_name


@given(st.lists(st.tuples(st.text(max_size=15), st.from_regex(r"[a-z0-9.]{1,10}@[a-z]{1,8}\.fr", fullmatch=True)),
                min_size=1, max_size=4))
def test_address_lists_keep_every_address_whatever_the_names(pairs):
    values = [", ".join(f"=?utf-8?b?{base64.b64encode(n.encode('utf-8', 'surrogatepass')).decode()}?= <{a}>"
                        for n, a in pairs)]
    assert [addr for _name, addr in parsed_addresses(values)] == [a for _n, a in pairs]


@given(st.text(max_size=60))
def test_decode_header_never_raises(value):
    assert isinstance(decode_header(value), str)


def test_fuzzed_mail_is_stored_or_quarantined_on_this_database(app, apply_tenant):
    """The same generated messages through the real ingester: every one ends stored or quarantined."""
    from ccctl_email.config import email_config
    from ccctl_email.ingest import DUPLICATE, JOINED, NEW, QUARANTINED, Ingester

    apply_tenant()
    seen: list[str] = []

    @given(st.lists(raw_mails(), min_size=1, max_size=5))
    def ingest_batch(raws):
        with app.session() as session:
            tenant = app.tenant(session, "voyages-lumiere")
            ingester = Ingester(app.context(session, tenant), email_config(tenant), acknowledge=False)
            results = list(ingester.ingest_many([(f"fuzz#{n}", raw) for n, raw in enumerate(raws)]))
            session.commit()
        assert len(results) == len(raws)
        seen.extend(r.outcome for r in results)
        assert {r.outcome for r in results} <= {NEW, JOINED, DUPLICATE, QUARANTINED}

    ingest_batch()
    assert NEW in seen and QUARANTINED in seen  # the generator reaches both ends
