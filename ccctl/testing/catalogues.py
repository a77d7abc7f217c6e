"""Gettext catalogues of a package (core's or a plugin's), checked and kept in sync with Babel.

``problems("ccctl_mine")`` lists what is wrong with a domain's catalogues: a message of the sources
missing from a language, an empty or fuzzy translation, a translation whose ``%(name)s``
placeholders differ from the msgid, an id no source uses any more, a ``.mo`` that is not the
compiled ``.po``. ``update``/``compile_mo`` are what ``scripts/i18n.py`` runs. Needs Babel (a test
dependency; the runtime, :mod:`ccctl.i18n`, reads the ``.mo`` with the standard library).

A plugin author's test can be one line: ``assert problems("ccctl_mine") == []``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from ccctl.i18n import LANGUAGES, locale_dir

# Python sources and the Jinja templates of the page kit / mails; ``trimmed`` as the kit renders them.
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract"),
              ("**/templates/**.j2", "jinja2.ext:babel_extract"), ("**/templates/*.js", "jinja2.ext:babel_extract")]
OPTIONS = {"**/templates/**": {"trimmed": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# %(name)s (gettext), {name} (str.format), {{ name }} (a Jinja template kept as text).
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|\{\{\s*\w+\s*\}\}|\{\w+\}")


def po_path(domain: str, lang: str) -> Path:
    return locale_dir(domain) / lang / "LC_MESSAGES" / f"{domain}.po"


def extract(domain: str):
    """A Babel catalogue of every message the package's sources mark (tests and migrations skipped)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    root = locale_dir(domain).parent
    catalog = Catalog(domain=domain, project=domain, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            root, METHOD_MAP, OPTIONS, KEYWORDS, strip_comment_tags=True,
            callback=None, comment_tags=("Translators:",)):
        if "/migrations/" in f"/{filename}":
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read(domain: str, lang: str):
    from babel.messages.pofile import read_po

    with open(po_path(domain, lang), "rb") as handle:
        return read_po(handle, locale=lang, domain=domain)


def _ids(catalog) -> set:
    return {m.id for m in catalog if m.id}


def problems(domain: str) -> list[str]:
    """Everything wrong with ``domain``'s catalogues, one line each (empty: all good)."""
    found: list[str] = []
    sources = _ids(extract(domain))
    if not sources and not locale_dir(domain).exists():
        return found  # a package with no text for customers needs no catalogue
    for lang in LANGUAGES:
        path = po_path(domain, lang)
        if not path.exists():
            found.append(f"{path}: missing (run scripts/i18n.py update)")
            continue
        catalog = read(domain, lang)
        ids = _ids(catalog)
        found += [f"{path}: msgid {m!r} of the sources is missing" for m in sorted(map(str, sources - ids))]
        found += [f"{path}: msgid {m!r} is used by no source (obsolete)" for m in sorted(map(str, ids - sources))]
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                found.append(f"{path}: msgid {message.id!r} is not translated")
            elif message.fuzzy:
                found.append(f"{path}: msgid {message.id!r} is fuzzy (check and remove the flag)")
            ids_text = message.id if isinstance(message.id, str) else message.id[0]
            if any(sorted(PLACEHOLDER.findall(s)) != sorted(PLACEHOLDER.findall(ids_text)) for s in strings if s):
                found.append(f"{path}: msgid {message.id!r}: the translation's placeholders differ")
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo_bytes(catalog):
            found.append(f"{mo}: not the compiled {path.name} (run scripts/i18n.py compile)")
    return found


def _mo_bytes(catalog) -> bytes:
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def update(domain: str) -> list[Path]:
    """Bring every language's ``.po`` in line with the sources (new ids added, unused ones dropped;
    in ``en``, the language of the sources, a new id is its own translation). Returns the files written."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    written = []
    for lang in LANGUAGES:
        path = po_path(domain, lang)
        catalog = read(domain, lang) if path.exists() else Catalog(
            locale=lang, domain=domain, project=domain, fuzzy=False,
            header_comment=f"# {domain}: texts customers and clients read (see docs/developing.md).")
        # A fresh extraction per language: update() adopts the template's message objects.
        catalog.update(extract(domain), no_fuzzy_matching=True, update_creation_date=False)
        catalog.obsolete.clear()
        if lang == "en":
            for message in catalog:
                if isinstance(message.id, tuple) and not all(message.string or ()):
                    message.string = tuple(message.id)
                elif isinstance(message.id, str) and message.id and not message.string:
                    message.string = message.id
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
        written.append(path)
    return written


def compile_mo(domain: str) -> list[Path]:
    written = []
    for lang in LANGUAGES:
        mo = po_path(domain, lang).with_suffix(".mo")
        mo.write_bytes(_mo_bytes(read(domain, lang)))
        written.append(mo)
    return written
