"""Search: accents, case and word endings do not matter, French and English, ranked, per tenant."""

from __future__ import annotations

import pytest

from .conftest import TENANT


def top(ccctl, query, n=1, *extra):
    return [h["slug"] for h in ccctl.json("faq", "search", query, "-t", TENANT, *extra)][:n]


@pytest.mark.parametrize("query", [
    "remboursement annulation", "REMBOURSEMENT ANNULATION", "rembourse annule", "remboursements annulations",
    "Remboursé après l'annulation", "delai de remboursement",
])
def test_accents_case_and_endings_do_not_matter(faq, query):
    assert top(faq, query) == ["delai-remboursement"]


@pytest.mark.parametrize("query, expected", [
    ("annuler ma réservation", "annuler-reservation"),
    ("valise perdue à l'aéroport", "bagages-perdus"),
    ("passeport visa", "documents-voyage"),
    ("payer en 3 fois", "paiement-plusieurs-fois"),
    ("chèques-vacances", "moyens-paiement"),
    ("indemnisation retard", "vol-retarde"),
    ("voyager avec mon chien", "animaux"),
    ("fauteuil roulant", "mobilite-reduite"),
    ("cancelled bookings", "cancel-booking"),
    ("refunds", "refund-delay"),
    ("luggage damaged", "lost-luggage"),
])
def test_ranking_puts_the_right_article_first(faq, query, expected):
    assert top(faq, query) == [expected]


def test_locale_filter_and_output_formats(faq):
    assert set(top(faq, "annulation cancellation", 10, "--locale", "en")) <= {
        "cancel-booking", "refund-delay", "lost-luggage"}
    assert all(h["locale"] == "fr" for h in faq.json("faq", "search", "annulation", "-t", TENANT, "--locale", "fr"))
    csv = faq("faq", "search", "bagages", "-t", TENANT, "--format", "csv").stdout.splitlines()
    assert csv[0] == "slug,title,locale,score,match" and len(csv) > 1
    rows = faq("faq", "search", "bagages", "-t", TENANT, "--format", "jsonl", "-n", "2").stdout.splitlines()
    assert len(rows) == 2


def test_scores_are_ranked_and_match_measures_title_terms(faq):
    hits = faq.json("faq", "search", "comment annuler ma réservation", "-t", TENANT)
    assert hits[0]["slug"] == "annuler-reservation" and hits[0]["match"] == 1.0
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


@pytest.mark.parametrize("query", [
    'annulation" OR "x', "NEAR(annulation bagages)", "annul*", "x -bagages", "title:annulation", "a & b | !c",
    "(((", "'", "l'annulation", "🙂 annulation", "annulation " * 1000,
], ids=lambda q: q[:20])
def test_query_syntax_of_the_backends_is_never_interpreted(faq, query):
    faq.json("faq", "search", query, "-t", TENANT)  # no crash, no syntax error


def test_nothing_to_search_for(faq):
    assert "give words to search for" in faq("faq", "search", "   ", "-t", TENANT, code=2).stderr
    assert faq.json("faq", "search", "le la les de", "-t", TENANT) == []  # stop words only
    assert faq.json("faq", "search", "zzzyx", "-t", TENANT) == []
    assert "no articles can be in locale" in faq("faq", "search", "x", "-t", TENANT, "--locale", "zz", code=2).stderr


def test_common_words_are_left_out_beyond_the_candidate_budget(faq, app, monkeypatch):
    import ccctl_selfhelp.search as search_module

    with app.session() as session:
        tenant = app.tenant(session, TENANT)
        everything = [h.slug for h in search_module.search(session, tenant, "annulation chien")]
        assert "animaux" in everything and len(everything) > 3  # "annulation" is in several articles
        monkeypatch.setattr(search_module, "CANDIDATE_BUDGET", 3)
        assert [h.slug for h in search_module.search(session, tenant, "annulation chien")] == ["animaux"]
        # Alone, a word that common is looked for in titles and tags only.
        found = {h.slug for h in search_module.search(session, tenant, "annulation")}
        assert found == {"annuler-reservation", "delai-remboursement", "assurance-annulation", "vol-retarde"}
        monkeypatch.setattr(search_module, "CANDIDATE_BUDGET", 1000)
        assert "modifier-dates" in {h.slug for h in search_module.search(session, tenant, "annulation")}  # body


def test_term_statistics_follow_the_articles(faq, app, tmp_path):
    from sqlalchemy import select

    from ccctl_selfhelp.models import TermStat

    def docs(term):
        with app.session() as session:
            tenant = app.tenant(session, TENANT)
            return session.scalar(select(TermStat.docs).where(TermStat.tenant_id == tenant.id, TermStat.term == term))

    assert docs("chien") == 1 and docs("annul") >= 4
    (tmp_path / "a.md").write_text("---\ntitle: Chien guide\n---\nUn chien guide voyage gratuitement.\n")
    faq("faq", "sync", str(tmp_path), "-t", TENANT)
    assert docs("chien") == 1 and docs("annul") is None and docs("guid") == 1
