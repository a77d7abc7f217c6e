"""`ccctl faq build`: a static copy of a tenant's FAQ that a client can host anywhere.

index.html (search box and every article), one ``<slug>.html`` per article, and client-side
search: ``search-index.json`` (and the same data as ``search-index.js``, which also loads
from file://, where browsers refuse to fetch JSON) read by ``search.js``.  The index holds
each article's stemmed terms with the same field weights as the server; the browser has no
stemmer, so a query word matches a term it starts with (``annulation`` → ``annul``).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl_selfhelp.analysis import language
from ccctl_selfhelp.pages import labels, render
from ccctl_selfhelp.publish import all_articles
from ccctl_selfhelp.render import to_html
from ccctl_selfhelp.stopwords import STOPWORDS

FIELD_WEIGHTS = {"terms_title": 10, "terms_tags": 4, "terms_body": 1}  # as bm25 on SQLite
MANIFEST = ".faq-files"  # what the last build wrote, so a rebuild removes pages of deleted articles
ASSETS = Path(__file__).parent / "templates" / "static"


def build(session: Session, tenant: Tenant, out: Path) -> int:
    """Write the site into ``out``; returns the number of article pages."""
    out.mkdir(parents=True, exist_ok=True)
    articles = all_articles(session, tenant)
    slugs = {a.slug for a in articles}
    lang = language(tenant.config.get("locale") or "fr")
    common = {"tenant_name": tenant.name, "home": "index.html", "static": True, "nonce": "", "vote_action": None,
              "voted": False, "csrf_token": "", "query": "", "searched": False, "hits": []}
    files: dict[str, str] = {}
    for article in articles:
        body = _local_links(to_html(article.body), slugs)
        files[f"{article.slug}.html"] = render(
            "article.html", **common, lang=article.locale, t=labels(article.locale), body_html=body,
            article={"title": article.title, "locale": article.locale, "tags": article.tags})
    listing = [{"title": a.title, "locale": a.locale, "url": f"{a.slug}.html"} for a in articles]
    files["index.html"] = render("index.html", **common, lang=lang, t=labels(lang), articles=listing)
    index = search_index(articles)
    files["search-index.json"] = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
    files["search-index.js"] = "window.FAQ_INDEX = " + files["search-index.json"] + ";\n"
    files["search.js"] = (ASSETS / "search.js").read_text(encoding="utf-8")
    _write(out, files)
    return len(articles)


def search_index(articles) -> dict:
    docs = []
    df: Counter[str] = Counter()
    for a in articles:
        weights: Counter[str] = Counter()
        for column, weight in FIELD_WEIGHTS.items():
            for term in getattr(a, column).split():
                weights[term] += weight
        df.update(weights.keys())
        docs.append({"slug": a.slug, "title": a.title, "url": f"{a.slug}.html", "snippet": a.summary,
                     "locale": a.locale, "terms": dict(sorted(weights.items()))})
    n = len(docs)
    idf = {t: round(math.log(1 + (n - d + 0.5) / (d + 0.5)), 4) for t, d in sorted(df.items())}
    return {"version": 1, "stopwords": sorted(STOPWORDS), "idf": idf, "articles": docs}


def _local_links(html: str, slugs: set[str]) -> str:
    """Links between articles (``[x](other-slug)``) point at the other page's file."""
    return re.sub(r'href="([a-z0-9-]+)"', lambda m: f'href="{m[1]}.html"' if m[1] in slugs else m[0], html)


def _write(out: Path, files: dict[str, str]) -> None:
    manifest = out / MANIFEST
    previous = set(manifest.read_text().split()) if manifest.exists() else set()
    for name in previous - set(files):
        (out / name).unlink(missing_ok=True)
    for name, content in files.items():
        (out / name).write_text(content, encoding="utf-8")
    manifest.write_text("\n".join(sorted(files)) + "\n")
