"""SQLite FTS5 backend: bm25 over the ``selfhelp_fts`` external-content table."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl_selfhelp.search.hit import hit_from_row

# bm25 column weights, in FTS5 column order: title, tags, body, scope (never scored).
WEIGHTS = "10.0, 4.0, 1.0, 0.0"

# Rank inside FTS5 and join the article rows only for the few kept: sorting thousands of
# joined rows (with their summaries) was most of the cost.
SQL = text(f"""
SELECT a.id, a.slug, a.title, a.locale, a.summary, a.tags, a.terms_title, best.score
FROM (SELECT rowid, -bm25(selfhelp_fts, {WEIGHTS}) AS score FROM selfhelp_fts
      WHERE selfhelp_fts MATCH :match ORDER BY bm25(selfhelp_fts, {WEIGHTS}) LIMIT :limit) AS best
JOIN selfhelp_articles a ON a.id = best.rowid
WHERE a.tenant_id = :tenant
ORDER BY best.score DESC, a.id
""")


def match_expression(tenant_id: int, plan, lang: str | None) -> str:
    """``{search_scope}: (t1 AND lfr) AND {terms_title terms_tags terms_body}: (a OR b OR ...)``.

    Terms are ``\\w`` characters only (see analysis), so quoting them is enough.
    """
    scope = f'"t{tenant_id}"' + (f' AND "l{lang}"' if lang else "")
    columns = "terms_title terms_tags" + ("" if plan.headings_only else " terms_body")
    alternatives = " OR ".join(f'"{term}"' for group in plan.groups for term in group)
    return f"{{search_scope}}: ({scope}) AND {{{columns}}}: ({alternatives})"


def ranked(session: Session, tenant: Tenant, plan, limit: int, lang: str | None):
    rows = session.execute(SQL, {"match": match_expression(tenant.id, plan, lang),
                                 "tenant": tenant.id, "limit": limit}).all()
    return [hit_from_row(r) for r in rows]
