"""PostgreSQL backend: GIN-indexed ``search_vector`` and an idf-weighted ``ts_rank``.

The vector is built with the 'simple' configuration from terms already stemmed and
accent-folded in Python (see analysis and docs/selfhelp.md for why not 'french' +
unaccent). It also holds the ``search_scope`` tokens (weight D, never scored), so one GIN
lookup finds a tenant's matching articles; ``heading_vector`` holds titles and tags only.
``ts_rank`` knows nothing of how rare a word is, so each word group is ranked on its own and
weighted by its idf, as bm25 does on SQLite.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl_selfhelp.search.hit import hit_from_row

# Weights for D (scope: 0), C (body), B (tags), A (title); normalisation 1 divides by
# 1 + log(length) so that long articles do not win by size alone.
WEIGHTS = "'{0, 0.1, 0.4, 1.0}'"
SQL = """
SELECT a.id, a.slug, a.title, a.locale, a.summary, a.tags, a.terms_title, {score} AS score
FROM selfhelp_articles a
WHERE a.{vector} @@ (to_tsquery('simple', :scope) && to_tsquery('simple', :any)) AND a.tenant_id = :tenant
ORDER BY score DESC, a.id
LIMIT :limit
"""


def ranked(session: Session, tenant: Tenant, plan, limit: int, lang: str | None):
    # Terms are \w characters only (see analysis): nothing to escape in a tsquery.
    params = {"scope": f"t{tenant.id}" + (f" & l{lang}" if lang else ""), "tenant": tenant.id, "limit": limit,
              "any": " | ".join(term for group in plan.groups for term in group)}
    parts = []
    for i, (group, weight) in enumerate(zip(plan.groups, plan.idf)):
        params[f"q{i}"], params[f"w{i}"] = " | ".join(group), weight
        parts.append(f":w{i} * ts_rank({WEIGHTS}, a.search_vector, to_tsquery('simple', :q{i}), 1)")
    # heading_vector: titles and tags only (selfhelp_0004), for queries of very common words.
    vector = "heading_vector" if plan.headings_only else "search_vector"
    rows = session.execute(text(SQL.format(score=" + ".join(parts), vector=vector)), params).all()
    return [hit_from_row(r) for r in rows]
