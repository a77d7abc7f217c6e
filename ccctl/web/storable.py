"""Refusing web input that no database can store: a NUL character (PostgreSQL text cannot hold it,
SQLite would keep a string other tools cut short) or a lone surrogate (no UTF-8 spelling).

Checked once for every ``/t/<tenant>`` route before its endpoint runs, on the path parameters,
the query string, a posted form (names and values) and a JSON body, so each route answers 400 the
same way on SQLite and PostgreSQL instead of failing in the database with a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def refuse_unstorable(request: Request) -> None:
    """400 naming the first field that holds a character no database can store."""
    for where, text in _texts(request):
        if UNSTORABLE.search(text):
            raise HTTPException(400, f"{where} holds a NUL or an invalid character: remove it and send again")


def _texts(request: Request) -> Iterator[tuple[str, str]]:
    for name, value in request.path_params.items():
        if isinstance(value, str):
            yield "the address", value
    yield from _pairs("query parameter", request.query_params.multi_items())
    form = getattr(request.state, "form", None)
    if form is not None:
        yield from _pairs("form field", form.multi_items())
    elif "json" in request.headers.get("content-type", "").lower():
        yield from _json_strings(request.state.body)


def _pairs(kind: str, items: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, str]]:
    for name, value in items:
        label = f"{kind} {name!r}" if not UNSTORABLE.search(name) else kind
        yield label, name
        if isinstance(value, str):
            yield label, value
        elif getattr(value, "filename", None):  # an uploaded file: its name is stored, its bytes are not text
            yield label, value.filename


def _json_strings(body: bytes) -> Iterator[tuple[str, str]]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON after all: the route decides what to answer
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield "the JSON body", value
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
