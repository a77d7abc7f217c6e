"""Deflection figures: per-article stats, totals, gaps; search text is stored without personal data."""

from __future__ import annotations

from ccctl_selfhelp.events import mask_personal, record
from ccctl_selfhelp.publish import get_article

from .conftest import TENANT


def test_gaps_group_searches_without_result_and_mask_personal_data(faq, app):
    with app.session() as session:
        tenant = app.tenant(session, TENANT)
        for query in ("Piscine chauffée", "piscine chauffée", "wifi", "bagages"):
            record(session, tenant, "search", query=query, results=0 if query != "bagages" else 3)
        record(session, tenant, "search", query="remboursement dossier 12345678 jean.dupont@mail.fr", results=0)
        article = get_article(session, tenant, "animaux")
        record(session, tenant, "vote", article_id=article.id, helpful=True, token="t1")
        assert record(session, tenant, "vote", article_id=article.id, helpful=False, token="t1") is False
        session.commit()
    gaps = faq.json("faq", "gaps", "-t", TENANT)
    assert [(g["query"], g["searches"]) for g in gaps] == [
        ("piscine chauffée", 2), ("remboursement dossier [number] [email]", 1), ("wifi", 1)]
    stats = {r["slug"]: r for r in faq.json("faq", "stats", "-t", TENANT)}
    assert stats["animaux"]["helpful"] == 1 and stats["animaux"]["not_helpful"] == 0
    assert faq.json("faq", "stats", "--summary", "-t", TENANT)["searches_without_result"] == 4
    assert faq.json("faq", "gaps", "-t", TENANT, "--since", "2999-01-01") == []
    assert "stats" in faq("faq", "stats", "-t", TENANT, "--since", "yesterday", code=2).stderr


def test_mask_personal():
    assert mask_personal("appelez le +33 6 12 34 56 78 svp") == "appelez le [number] svp"
    assert mask_personal("  a@b.fr   vol AF1234 ") == "[email] vol AF1234"
    assert len(mask_personal("x" * 500)) == 200


def test_helpful_votes_are_the_deflections_report_kpi_counts(faq, app):
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    with app.session() as session:
        tenant = app.tenant(session, TENANT)
        article = get_article(session, tenant, "animaux")
        record(session, tenant, "vote", article_id=article.id, helpful=True, token="a")
        record(session, tenant, "vote", article_id=article.id, helpful=False, token="b")
        record(session, tenant, "view", article_id=article.id)
        session.commit()
        ctx = app.context(session, tenant)
        hook = ctx.hook("ccctl_list_self_service_events")
        def times(start, end):  # other plugins have nothing to report in this database
            return [t for result in hook(start=start, end=end, ctx=ctx) for t in result or ()]

        (voted,) = times(now - timedelta(hours=1), now + timedelta(hours=1))
        assert voted.tzinfo is not None and abs(voted - now) < timedelta(hours=1)
        assert times(now + timedelta(hours=1), now + timedelta(hours=2)) == []
