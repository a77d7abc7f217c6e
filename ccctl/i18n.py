"""Texts a customer or a client reads, in the tenant's language: gettext catalogues per package.

Each package (core ``ccctl``, each plugin ``ccctl_<name>``) owns a gettext *domain* named after
it, with its catalogues in ``<package>/locale/<lang>/LC_MESSAGES/<domain>.po`` and the compiled
``.mo`` next to them (shipped, so ``pip install -e .`` needs no build step; a test checks they
match the ``.po``). Plugins get theirs through :func:`translator`, never by importing each other::

    t = translator(tenant.config.get("locale"), "ccctl_callback")
    t.gettext("Please choose a slot.")

Messages built in one place and shown later (an error raised deep in a helper, shown on a web
page in the visitor's language, or in English on the command line) are :class:`Text`: a ``str``
in English whose translation is made later by :func:`translate`.

Only the standard library runs here; Babel is used by the tests and by
``scripts/i18n.py`` (extract, update, compile: see docs/developing.md).
"""

from __future__ import annotations

import copy
import gettext
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

LANGUAGES = ("en", "fr")  # complete catalogues; the first is the fallback and the language of the sources
DEFAULT = "en"
CORE = "ccctl"


def language(locale: str | None) -> str:
    """The catalogue language of a tenant's ``locale``: ``fr_FR`` → ``fr``, ``en_GB`` → ``en``,
    anything without a catalogue → ``en``."""
    lang = (locale or "").replace("-", "_").split("_")[0].strip().lower()
    return lang if lang in LANGUAGES else DEFAULT


def negotiate(accept_language: str | None, locale: str | None, allowed: tuple[str, ...] | list[str] = ()) -> str:
    """The locale a public page uses: the tenant's ``locale``, unless the tenant allows further
    languages (``allowed``, e.g. ``["en"]``) and the visitor's ``Accept-Language`` prefers one of them
    (or the tenant's own) by its q-values. Returns a locale (``fr_FR``) or a language (``en``)."""
    if not allowed or not accept_language:
        return locale or DEFAULT
    own = language(locale)
    choices = {own} | {a.lower()[:2] for a in allowed if a and a.lower()[:2] in LANGUAGES}
    best, best_q = None, 0.0
    for position, part in enumerate(accept_language.split(",")[:32]):  # a header is no place for a long list
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().replace("_", "-").split("-")[0].lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if not 0.0 < quality <= 1.0 or lang not in choices:
            continue
        if quality > best_q:  # equal q: the first listed wins
            best, best_q = lang, quality
    if best is None or best == own:
        return locale or DEFAULT
    return best


def locale_dir(domain: str) -> Path:
    """``<package>/locale`` of the top-level package named ``domain`` (found without importing it)."""
    try:
        spec = find_spec(domain) if domain.isidentifier() else None
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"no package '{domain}' to hold the '{domain}' catalogues")
    return Path(next(iter(spec.submodule_search_locations))) / "locale"


@lru_cache(maxsize=None)
def _catalogue(lang: str, domain: str) -> gettext.NullTranslations:
    try:
        folder = locale_dir(domain)
    except LookupError:  # a third-party page kit whose folder is not a package: core's words only
        return gettext.NullTranslations()
    return gettext.translation(domain, folder, languages=[lang], fallback=True)


def translator(locale: str | None, domain: str = CORE) -> gettext.NullTranslations:
    """The translations of ``domain`` for ``locale``, falling back to core's (shared words of the page
    kit) and then to the English of the sources. Cached: one object per language and domain."""
    return _translator(language(locale), domain)


@lru_cache(maxsize=None)
def _translator(lang: str, domain: str) -> gettext.NullTranslations:
    if domain == CORE:
        return _catalogue(lang, CORE)
    # A fresh object to chain: the cached plain catalogue stays unchained for other users.
    chained = copy.copy(_catalogue(lang, domain))
    chained.add_fallback(_catalogue(lang, CORE))
    return chained


class Text(str):
    """An English message (``str`` of it is the English, as the CLI shows it) that keeps its msgid and
    parameters so a page can show it in the visitor's language: ``translate(text, t)``.

    Mark it for extraction with :func:`N_`: ``raise InputError(N_("slot %(slot)s is in the past", slot=s))``.
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Text:
        self = super().__new__(cls, msgid % params if params else msgid)
        self.msgid, self.params = msgid, params
        return self


def N_(msgid: str, **params: Any) -> Text:  # noqa: N802 - the usual gettext marker name
    """Mark ``msgid`` for extraction; translated later, where the reader's language is known."""
    return Text(msgid, **params)


def translate(message: str, t: gettext.NullTranslations) -> str:
    """``message`` in ``t``'s language when it is a :class:`Text`, else unchanged (free text, e.g. a
    tenant's own words or a message no catalogue holds)."""
    if isinstance(message, Text):
        translated = t.gettext(message.msgid)
        return translated % message.params if message.params else translated
    return message


def jinja_context(locale: str | None, domain: str = CORE) -> dict[str, Any]:
    """What a template rendered with ``jinja2.ext.i18n`` needs: ``gettext``/``ngettext`` for
    ``{% trans %}`` and ``_()``, ``translate()`` for a :class:`Text` made in Python (an error), and
    ``lang`` for ``<html lang>``."""
    t = translator(locale, domain)
    return {"gettext": t.gettext, "ngettext": t.ngettext, "lang": language(locale),
            "translate": lambda message: translate(message, t)}
