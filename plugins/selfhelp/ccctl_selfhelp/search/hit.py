"""One search result, built the same way from either backend's rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Hit:
    """One ranked result. ``score`` is the backend's rank (higher is better, not comparable
    across backends); ``match`` is the share of the title's terms found in the query (0-1),
    the same on both backends, used for automatic answers."""

    article_id: int
    slug: str
    title: str
    locale: str
    score: float
    match: float = 0.0
    snippet: str = ""
    tags: list[str] = field(default_factory=list)

    def row(self) -> dict:
        return {"slug": self.slug, "title": self.title, "locale": self.locale,
                "score": round(self.score, 4), "match": round(self.match, 2), "snippet": self.snippet}


def hit_from_row(row) -> tuple[Hit, str]:
    """(Hit, the article's title terms) from a row with id, slug, title, locale, summary, tags,
    terms_title and score (higher is better)."""
    tags = json.loads(row.tags) if isinstance(row.tags, str) else list(row.tags or [])
    hit = Hit(article_id=row.id, slug=row.slug, title=row.title, locale=row.locale, score=float(row.score),
              snippet=row.summary, tags=tags)
    return hit, row.terms_title
