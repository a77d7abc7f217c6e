"""Text → search terms, identical for indexed articles and for queries, on every backend.

Words are lower-cased, stop words dropped, stemmed with Snowball in the article's
language (on the accented word, which the French rules need), then folded: accents
removed, ligatures split.  The database indexes these terms as plain tokens, so SQLite
FTS5 and PostgreSQL match the same things.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from ccctl_selfhelp.stopwords import STOPWORDS

# Part of every article's checksum: bump it when terms() changes so that the next
# `faq sync` re-indexes every article.
ANALYZER_VERSION = 1

LANGUAGES = {"fr": "french", "en": "english", "de": "german", "es": "spanish",
             "it": "italian", "nl": "dutch", "pt": "portuguese"}
WORD = re.compile(r"\w+")
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
_local = threading.local()  # Snowball stemmers keep state: one set per thread


def fold(text: str) -> str:
    """Lower case, no accents, no ligatures: ``"Œuvre Été"`` → ``"oeuvre ete"``."""
    decomposed = unicodedata.normalize("NFD", text.lower().translate(LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def language(locale: str) -> str:
    """``"fr_FR"`` → ``"fr"``; a language without a stemmer is refused by the caller."""
    return locale.replace("-", "_").split("_")[0].lower()


def _stemmer(lang: str):
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if lang not in stemmers:
        import snowballstemmer

        stemmers[lang] = snowballstemmer.stemmer(LANGUAGES[lang])
    return stemmers[lang]


def words(text: str) -> list[str]:
    """Lower-cased words worth searching: no stop word (any language), no single letter."""
    return [w for w in map(_searchable, WORD.findall(text.lower())) if w]


@lru_cache(maxsize=200_000)
def _searchable(word: str) -> str:
    if (len(word) < 2 and not word.isdigit()) or word in STOPWORDS or fold(word) in STOPWORDS:
        return ""
    return word.replace("_", "")


@lru_cache(maxsize=200_000)  # vocabularies are small: most words are stemmed once per process
def stem(word: str, lang: str) -> str:
    return fold(_stemmer(lang).stemWord(word))


def terms(text: str, lang: str) -> list[str]:
    """The indexed terms of ``text`` written in ``lang``."""
    return [stem(word, lang) for word in words(text)]


def query_groups(text: str, langs: list[str]) -> list[list[str]]:
    """One group of alternative terms per query word: its stems in every language, with
    and without the accents the visitor may have left out."""
    groups: list[list[str]] = []
    for word in dict.fromkeys(words(text)):
        variants = {stem(form, lang) for lang in langs for form in (word, fold(word))}
        group = sorted(v for v in variants if v)
        if group and group not in groups:
            groups.append(group)
    return groups
