"""Markdown → safe HTML (raw HTML in articles is escaped) and → plain text for the index."""

from __future__ import annotations

import html
import re
from functools import lru_cache

TAG = re.compile(r"<[^>]+>")
SPACES = re.compile(r"\s+")
BEFORE_PUNCTUATION = re.compile(r"\s+([,.)])")


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def to_html(markdown: str) -> str:
    return _markdown().render(markdown)


def to_text(markdown: str) -> str:
    """The words a reader sees, for indexing and snippets (no link targets, no markup)."""
    text = SPACES.sub(" ", html.unescape(TAG.sub(" ", to_html(markdown)))).strip()
    return BEFORE_PUNCTUATION.sub(r"\1", text)


def snippet(text: str, length: int = 180) -> str:
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut + "…"
