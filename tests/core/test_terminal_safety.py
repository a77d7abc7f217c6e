"""Text from outside reaches an agent's terminal with every control character shown as an escape
(table and key: value views); JSON stays exact."""

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from ccctl.output import TERMINAL_UNSAFE, emit, emit_object, terminal_safe

HOSTILE = ("Zoé \x1b]0;pwned\x07\x1b[2J\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
           " \x9b31m \u202etxt.exe \u2066x\u2069 \r overwritten\x00")


def test_tables_and_key_value_views_show_controls_as_escapes():
    table, plain = io.StringIO(), io.StringIO()
    emit([{"name": HOSTILE, "tags": [HOSTILE], "extra": {"k": HOSTILE}}], fmt="table", file=table)
    emit_object({"name": HOSTILE, "timeline": [{"summary": HOSTILE}]}, fmt="table", file=plain)
    for out in (table.getvalue(), plain.getvalue()):
        assert not TERMINAL_UNSAFE.search(out.replace("\n", "")), repr(out)
        assert "\\x1b]8;;https://evil.example/" in out and "\\u202etxt.exe" in out and "\\x9b31m" in out
        assert "Zoé" in out  # letters, accents included, are left alone


def test_json_jsonl_and_csv_stay_exact():
    for fmt in ("json", "jsonl"):
        out = io.StringIO()
        emit([{"name": HOSTILE}], fmt=fmt, file=out)
        loaded = json.loads(out.getvalue()) if fmt == "json" else [json.loads(out.getvalue())]
        assert loaded == [{"name": HOSTILE}]
    out = io.StringIO()
    emit_object({"name": HOSTILE}, fmt="json", file=out)
    assert json.loads(out.getvalue()) == {"name": HOSTILE}


@given(st.text())
def test_terminal_safe_leaves_nothing_a_terminal_acts_on(text):
    shown = terminal_safe(text)
    assert TERMINAL_UNSAFE.search(shown) is None
    if TERMINAL_UNSAFE.search(text) is None:
        assert shown == text


def test_customer_show_and_queue_list_neutralise_what_outsiders_wrote(example_tenants, tmp_path):
    ccctl, tenant = example_tenants, "voyages-lumiere"
    source = tmp_path / "people.jsonl"
    source.write_text(json.dumps({"name": HOSTILE.replace("\x00", ""), "email": "zoe@example.fr"}) + "\n")
    ccctl("customer", "import", str(source), "-t", tenant)
    [found] = ccctl.json("customer", "find", "zoe@example.fr", "-t", tenant)
    shown = ccctl("customer", "show", str(found["id"]), "-t", tenant, "--format", "table").stdout
    assert "\x1b" not in shown and "\u202e" not in shown and "\\x1b]0;pwned" in shown
    # JSON gives the name exactly as stored (the import folds runs of white space, nothing else).
    stored = " ".join(HOSTILE.replace("\x00", "").split())
    assert ccctl.json("customer", "show", str(found["id"]), "-t", tenant)["name"] == stored
    mail = f"From: a@example.fr\r\nSubject: \u202eFACTURE \x9b2J\r\nMessage-ID: <t@x>\r\n\r\nbody\r\n"
    ccctl("email", "ingest", "-t", tenant, "--no-ack", input=mail.encode())
    listed = ccctl("queue", "list", "-t", tenant, "--format", "table").stdout
    assert "\\u202eFACTURE \\x9b2J" in listed and "\u202e" not in listed and "\x9b" not in listed
