"""Reading a folder of FAQ articles: Markdown with YAML front matter, or YAML files.

```markdown
---
title: Comment annuler ma réservation ?
tags: [annulation, remboursement]
locale: fr            # default: the tenant's language
slug: annuler-reservation   # default: the file name
---
Texte de l'article en Markdown...
```

A ``.yaml``/``.yml`` file holds one article (the same keys plus ``body``) or a list of
them.  Every problem is reported with its file and line, all at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccctl.errors import ConfigError, InputError
from ccctl_selfhelp.analysis import ANALYZER_VERSION, LANGUAGES, fold

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")
MARKDOWN = {".md", ".markdown"}
YAML = {".yaml", ".yml"}
KEYS = {"title", "tags", "locale", "slug"}
MAX_ERRORS = 20


@dataclass
class ArticleSource:
    """One article as written in the folder."""

    slug: str
    locale: str
    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    source: str = ""  # path relative to the folder
    line: int = 1

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def checksum(self) -> str:
        data = [ANALYZER_VERSION, self.slug, self.locale, self.title, self.tags, self.body, self.source]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:120] or "article"


def load_folder(folder: Path, default_locale: str) -> list[ArticleSource]:
    """Every article under ``folder``; raises InputError listing each bad file and line."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of articles")
    articles: list[ArticleSource] = []
    errors: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and _wanted(p, folder)):
        try:
            articles.extend(load_file(path, folder, default_locale))
        except ConfigError as exc:
            errors.append(exc.message)
    errors.extend(_duplicate_slugs(articles))
    if errors:
        shown = errors[:MAX_ERRORS]
        more = f"\n... and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
        raise InputError(f"{len(errors)} problem(s) in {folder}:\n" + "\n".join(shown) + more)
    return articles


def _wanted(path: Path, folder: Path) -> bool:
    parts = path.relative_to(folder).parts
    if any(p.startswith((".", "_")) for p in parts) or path.name.lower() == "readme.md":
        return False
    return path.suffix.lower() in MARKDOWN | YAML


def _duplicate_slugs(articles: list[ArticleSource]) -> list[str]:
    first: dict[str, ArticleSource] = {}
    errors = []
    for article in articles:
        if article.slug in first:
            errors.append(f"{article.where}: slug '{article.slug}' is already used by {first[article.slug].where}")
        else:
            first[article.slug] = article
    return errors


def load_file(path: Path, folder: Path, default_locale: str) -> list[ArticleSource]:
    name = path.relative_to(folder).as_posix()
    try:
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", name) from None
    if path.suffix.lower() in MARKDOWN:
        return [_markdown_article(text, name, path.stem, default_locale)]
    return _yaml_articles(text, name, path.stem, default_locale)


def _markdown_article(text: str, name: str, stem: str, default_locale: str) -> ArticleSource:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ConfigError("a Markdown article starts with YAML front matter between '---' lines "
                          "(at least 'title')", name, 1)
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise ConfigError("the front matter is not closed by a '---' line", name, 1)
    located = _load_yaml("\n".join(lines[1:end]), name, offset=1)
    if not isinstance(located.data, dict):
        raise ConfigError("the front matter must be a mapping with at least 'title'", name, 2)
    body = "\n".join(lines[end + 1:]).strip("\n")
    return _article(located, located.data, (), body, name, slugify(stem), default_locale, KEYS)


def _yaml_articles(text: str, name: str, stem: str, default_locale: str) -> list[ArticleSource]:
    located = _load_yaml(text, name)
    data = located.data
    if isinstance(data, dict) and set(data) == {"articles"}:
        data, prefix = data["articles"], ("articles",)
    else:
        prefix = ()
    if isinstance(data, dict):
        body = _text(located, data, prefix + ("body",), required=True)
        return [_article(located, data, prefix, body, name, slugify(stem), default_locale, KEYS | {"body"})]
    if not isinstance(data, list) or not data:
        raise ConfigError("a YAML article file holds one article (title, body...) or a list of them", name,
                          located.line_of(()) or 1)
    out = []
    for index, entry in enumerate(data):
        path = prefix + (index,)
        if not isinstance(entry, dict):
            raise located.error(path, "each article is a mapping with title and body")
        body = _text(located, entry, path + ("body",), required=True)
        default_slug = slugify(str(entry.get("title") or f"{stem}-{index + 1}"))
        out.append(_article(located, entry, path, body, name, default_slug, default_locale, KEYS | {"body"}))
    return out


def _load_yaml(text: str, name: str, offset: int = 0):
    """YAML with line numbers; ``offset`` blank lines first keep front matter lines true to the file."""
    from ccctl.config.yamlsource import load_yaml

    return load_yaml("\n" * offset + text, name)


def _article(located, data: dict[str, Any], path: tuple, body: str, name: str, default_slug: str,
             default_locale: str, allowed: set[str]) -> ArticleSource:
    for key in data:
        if key not in allowed:
            raise located.error(path + (key,), f"unknown key (known: {', '.join(sorted(allowed))})")
    title = _text(located, data, path + ("title",), required=True)
    slug = _text(located, data, path + ("slug",)) or default_slug
    if not SLUG.match(slug):
        raise located.error(path + ("slug",), f"'{slug}' is not a slug (lower-case letters, digits and '-')")
    locale = (_text(located, data, path + ("locale",)) or default_locale).replace("-", "_")
    lang = locale.split("_")[0].lower()
    if lang not in LANGUAGES:
        raise located.error(path + ("locale",), f"no stemmer for '{locale}' (known: {', '.join(LANGUAGES)})")
    return ArticleSource(slug=slug, locale=lang, title=title, body=body, tags=_tags(located, data, path),
                         source=name, line=located.line_of(path + ("title",)) or 1)


def _text(located, data: dict[str, Any], path: tuple, required: bool = False) -> str:
    value = data.get(path[-1])
    if value is None or value == "":
        if required:
            raise located.error(path[:-1], f"'{path[-1]}' is missing or empty")
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise located.error(path, "must be text")
    return str(value).strip()


def _tags(located, data: dict[str, Any], path: tuple) -> list[str]:
    value = data.get("tags")
    if value is None:
        return []
    if isinstance(value, str):
        value = [t for t in (s.strip() for s in value.split(",")) if t]
    if not isinstance(value, list) or not all(isinstance(t, str | int) and not isinstance(t, bool) for t in value):
        raise located.error(path + ("tags",), "tags are a list of words, e.g. [annulation, remboursement]")
    return list(dict.fromkeys(str(t).strip() for t in value if str(t).strip()))
