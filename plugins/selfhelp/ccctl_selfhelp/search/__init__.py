"""Ranked full-text search over one tenant's articles, on SQLite FTS5 or PostgreSQL.

Both backends receive the same pre-stemmed query groups (``analysis.query_groups``) and
match any group (OR), ranking articles that match more, and rarer, terms first, with the
title counting most, then tags, then the body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ccctl.db.models import Tenant
from ccctl.errors import InputError
from ccctl_selfhelp.analysis import LANGUAGES, language, query_groups
from ccctl_selfhelp.search.hit import Hit

__all__ = ["Hit", "search"]

MAX_QUERY = 2000  # characters; an e-mail body is cut there
# Articles a search may rank at most, summed over its words' document frequencies: beyond
# it the commonest words are left out (they weigh next to nothing in bm25 anyway).
CANDIDATE_BUDGET = 1000
MAX_GROUPS = 12


@dataclass
class Plan:
    """What the backend matches: word groups (any may match), their idf, and whether to look
    in titles and tags only (when even the rarest word is in more than CANDIDATE_BUDGET articles)."""

    groups: list[list[str]]
    idf: list[float]
    headings_only: bool = False


def search(session: Session, tenant: Tenant, query: str, limit: int = 10, locale: str | None = None) -> list[Hit]:
    """Articles of ``tenant`` matching ``query``, best first; [] when nothing matches."""
    if limit < 1:
        raise InputError("the result limit must be at least 1")
    lang = language(locale) if locale else None
    if lang is not None and lang not in LANGUAGES:
        raise InputError(f"no articles can be in locale '{locale}' (known: {', '.join(LANGUAGES)})")
    all_groups = query_groups(query[:MAX_QUERY], [lang] if lang else _tenant_languages(tenant))
    plan = candidate_groups(session, tenant, all_groups)
    if not plan.groups:
        return []
    if session.get_bind().dialect.name == "postgresql":
        from ccctl_selfhelp.search.postgres import ranked
    else:
        from ccctl_selfhelp.search.sqlite import ranked
    hits = ranked(session, tenant, plan, limit, lang)
    wanted = {term for group in all_groups for term in group}
    for hit, title_terms in hits:
        distinct = set(title_terms.split())
        hit.match = len(distinct & wanted) / len(distinct) if distinct else 0.0
    return [hit for hit, _ in hits]


def candidate_groups(session: Session, tenant: Tenant, groups: list[list[str]]) -> Plan:
    """The query's word groups worth matching, rarest first, with their idf.

    Terms no article contains are dropped; when the groups together would match more than
    CANDIDATE_BUDGET articles, the commonest are left out (always one kept), and at most
    MAX_GROUPS are kept (a long e-mail is matched on its rarest words). When even the rarest
    is that common, it is looked for in titles and tags only. Before the tenant's first sync
    with term statistics, every group is kept with idf 1.
    """
    from sqlalchemy import select

    from ccctl_selfhelp.models import ARTICLE_COUNT, TermStat

    wanted = {term for group in groups for term in group}
    if not wanted:
        return Plan([], [])
    docs = dict(session.execute(select(TermStat.term, TermStat.docs).where(
        TermStat.tenant_id == tenant.id, TermStat.term.in_(wanted | {ARTICLE_COUNT}))).all())
    n = docs.pop(ARTICLE_COUNT, None)
    if n is None:  # no statistics yet (the tenant was not synced since the upgrade)
        return Plan(groups[:MAX_GROUPS], [1.0] * len(groups[:MAX_GROUPS]))
    sized = [([t for t in group if docs.get(t)], sum(docs.get(t, 0) for t in group)) for group in groups]
    sized = sorted((item for item in sized if item[0]), key=lambda item: item[1])
    kept, total = [], 0
    for group, size in sized[:MAX_GROUPS]:
        if kept and total + size > CANDIDATE_BUDGET:
            break
        kept.append((group, size))
        total += size
    return Plan([g for g, _ in kept], [math.log(1 + (n - size + 0.5) / (size + 0.5)) for _, size in kept],
                headings_only=total > CANDIDATE_BUDGET)


def _tenant_languages(tenant: Tenant) -> list[str]:
    """Query words are stemmed in the tenant's language first, then in English."""
    first = language(tenant.config.get("locale") or "fr")
    return list(dict.fromkeys([first if first in LANGUAGES else "fr", "fr", "en"]))
