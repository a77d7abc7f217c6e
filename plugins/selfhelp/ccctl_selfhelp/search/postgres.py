"""PostgreSQL backend: ``ts_rank`` over the generated, GIN-indexed ``search_vector`` column.

The column is built with the 'simple' configuration from terms already stemmed and
accent-folded in Python (see analysis): PostgreSQL's own 'french' dictionary would need
``unaccent`` (an extension, not IMMUTABLE, so unusable in a generated column without a
wrapper) and would not match exactly what SQLite matches.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl_selfhelp.search.hit import hit_from_row

# Weights for D, C (body), B (tags), A (title); normalisation 1 divides by 1 + log(length)
# so that long articles do not win by size alone, as bm25 does on SQLite.
SQL = """
SELECT a.id, a.slug, a.title, a.locale, a.summary, a.tags, a.terms_title,
       ts_rank('{0, 0.1, 0.4, 1.0}', a.search_vector, q.query, 1) AS score
FROM selfhelp_articles a, to_tsquery('simple', :query) AS q(query)
WHERE a.tenant_id = :tenant AND a.search_vector @@ q.query LOCALE
ORDER BY score DESC, a.id
LIMIT :limit
"""


def ranked(session: Session, tenant: Tenant, groups: list[list[str]], limit: int, lang: str | None):
    query = " | ".join(term for group in groups for term in group)  # \w-only terms: no escaping needed
    sql = text(SQL.replace("LOCALE", "AND a.locale = :lang" if lang else ""))
    params = {"query": query, "tenant": tenant.id, "limit": limit}
    if lang:
        params["lang"] = lang
    rows = session.execute(sql, params).all()
    return [hit_from_row(r) for r in rows]
