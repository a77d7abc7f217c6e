"""Property tests for the import file readers: encodings, delimiter sniffing, --map, CSV and JSONL rows."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccctl.errors import InputError
from ccctl.identity.sources import (RowError, Source, csv_rows, decode, jsonl_rows, map_header, parse_map,
                                    sniff_delimiter)

# Column names as people write them: letters (accented too), digits, spaces, dashes; no delimiter or '='.
column = st.text(st.characters(categories=("L", "N"), include_characters=" -_'éèçàÉ"), min_size=1, max_size=12) \
    .map(str.strip).filter(bool)
cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=20)


def as_csv(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@given(st.lists(column, min_size=2, max_size=6, unique_by=str.casefold), st.sampled_from([",", ";", "\t"]),
       st.data())
def test_csv_round_trip_with_any_delimiter(header, delimiter, data):
    rows = data.draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=5))
    text = as_csv(header, rows, delimiter)
    assert sniff_delimiter(text) == delimiter
    read = list(csv_rows(Source("f.csv", text, "utf-8"), lambda h: map_header(h, {}, {}, "f.csv")))
    wanted = [r for r in rows if any(c.strip() for c in r)]
    assert [row for _line, row in read] == [dict(zip(header, r)) for r in wanted]
    lines = [line for line, _row in read]
    assert lines == sorted(lines) and all(line >= 2 for line in lines)


@given(st.lists(column, min_size=1, max_size=5, unique=True), st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_decode_gives_back_the_text_whatever_the_encoding(words, encoding):
    text = "name;ville\n" + "".join(f"{w};Orléans\n" for w in words)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # a character cp1252 cannot hold: not a file Excel would write
    decoded = decode(data, "f.csv")
    assert decoded.text == text
    if encoding == "cp1252":
        assert decoded.encoding in ("cp1252", "latin_1", "iso8859_15")


@given(st.binary(max_size=200))
def test_decode_never_raises_anything_but_a_clear_input_error(data):
    try:
        decode(data, "f.csv")
    except InputError as exc:
        assert exc.message.startswith("f.csv")
    try:
        decode(data, "f.csv", "utf-8")
    except InputError as exc:
        assert "is not valid utf-8" in exc.message


@given(st.dictionaries(column, st.from_regex(r"[A-Za-zé_][\w.-]{0,10}", fullmatch=True), min_size=1, max_size=5))
def test_map_round_trip(mapping):
    text = ",".join(f"{k}={v}" for k, v in mapping.items())
    assert parse_map(text) == mapping


@given(st.text(max_size=40))
def test_map_parser_accepts_or_names_the_bad_part(text):
    try:
        parsed = parse_map(text)
    except InputError as exc:
        assert exc.message.startswith("--map: ")
        return
    for column_name, target in parsed.items():
        assert column_name and target and column_name == column_name.strip() and "," not in column_name
        assert "=" not in target and " " not in target


@pytest.mark.parametrize("text", ["Nom", "=name", "Nom=", "Nom=name,Nom=phone", "Nom==", " = "])
def test_map_refuses(text):
    with pytest.raises(InputError, match="--map"):
        parse_map(text)


@given(st.lists(st.one_of(st.dictionaries(column, st.one_of(cell, st.integers(), st.booleans()), max_size=4),
                          st.lists(st.integers(), max_size=2), cell), max_size=6))
def test_jsonl_rows_keep_objects_and_name_the_first_bad_line(values):
    text = "\n".join(json.dumps(v) if not isinstance(v, str) else v for v in values)
    source = Source("f.jsonl", text, "utf-8")
    try:
        rows = list(jsonl_rows(source))
    except InputError as exc:
        number = int(exc.message.split(":")[1])
        assert 1 <= number <= len(values)
        return
    assert [row for _n, row in rows] == [v for v in values if isinstance(v, dict)] + [
        json.loads(v) for v in values if isinstance(v, str) and v.strip() and isinstance(json.loads(v), dict)]


def test_a_row_with_too_many_fields_is_an_error_row_not_a_stop():
    text = "name,email\nA,a@x.fr\nB,b@x.fr,extra\nC,c@x.fr\n"
    read = list(csv_rows(Source("f.csv", text, "utf-8"), lambda h: h))
    assert [line for line, _ in read] == [2, 3, 4]
    assert isinstance(read[1][1], RowError) and read[1][1].message == (
        "f.csv:3: column 3: 3 fields but the header has 2 (a delimiter inside an unquoted value?)")


def test_line_numbers_count_quoted_newlines():
    text = 'name,note\n"A","two\nlines"\nB,x\n'
    assert [line for line, _ in csv_rows(Source("f.csv", text, "utf-8"), lambda h: h)] == [2, 4]
