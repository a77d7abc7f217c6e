"""Public FAQ pages through the real web app: search, article, votes with CSRF, tenant switch."""

from __future__ import annotations

import re

import pytest

from .conftest import TENANT, tenant_yaml

BASE = f"/t/{TENANT}/faq"


@pytest.fixture
def client(faq, app):
    from starlette.testclient import TestClient

    from ccctl.web.app import create_web_app

    with TestClient(create_web_app(app)) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_search_page_lists_ranked_results_and_counts_the_search(client, faq):
    page = client.get(BASE, params={"q": "Remboursement ANNULATION"})
    assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
    links = re.findall(r'<li><a href="([^"]+)">', page.text)
    assert links[0] == f"{BASE}/delai-remboursement"
    assert 'value="Remboursement ANNULATION"' in page.text
    empty = client.get(BASE, params={"q": "piscine chauffée jacuzzi"})
    assert "Aucun article ne correspond" in empty.text and "<li><a" not in empty.text.split("all-articles")[0]
    home = client.get(BASE)
    assert home.text.count('<li lang="') == 20  # every article, no search counted
    totals = faq.json("faq", "stats", "--summary", "-t", TENANT)
    assert totals["searches"] == 2 and totals["searches_without_result"] == 1
    assert faq.json("faq", "gaps", "-t", TENANT) == [
        {"query": "piscine chauffée jacuzzi", "searches": 1, "last": faq.json("faq", "gaps", "-t", TENANT)[0]["last"]}]


def test_article_page_counts_views_and_renders_markdown_safely(client, faq):
    page = client.get(f"{BASE}/annuler-reservation")
    assert page.status_code == 200
    assert "<h1>Comment annuler ma réservation ?</h1>" in page.text
    assert "<table>" in page.text and "<strong>espace client</strong>" in page.text
    assert f'href="assurance-annulation"' in page.text  # relative link between articles works here
    client.get(f"{BASE}/annuler-reservation")
    stats = {r["slug"]: r for r in faq.json("faq", "stats", "-t", TENANT)}
    assert stats["annuler-reservation"]["views"] == 2 and stats["animaux"]["views"] == 0
    assert client.get(f"{BASE}/nope").status_code == 404


def test_votes_need_the_page_token_and_count_once_per_visitor(client, faq):
    page = client.get(f"{BASE}/bagages-perdus")
    token = csrf_of(page.text)
    vote = client.post(f"{BASE}/bagages-perdus/vote", data={"csrf_token": token, "helpful": "yes"},
                       follow_redirects=False)
    assert vote.status_code == 303 and vote.headers["location"].endswith("?voted=1#vote")
    assert "Merci pour votre avis" in client.get(vote.headers["location"]).text
    again = client.post(f"{BASE}/bagages-perdus/vote", data={"csrf_token": token, "helpful": "no"},
                        follow_redirects=False)
    assert again.status_code == 303  # accepted, but not counted twice
    assert client.post(f"{BASE}/bagages-perdus/vote", data={"csrf_token": "forged", "helpful": "no"}).status_code == 403
    assert client.post(f"{BASE}/bagages-perdus/vote", data={"helpful": "no"}).status_code == 403
    assert client.post(f"{BASE}/bagages-perdus/vote", data={"csrf_token": token, "helpful": "maybe"}).status_code == 400
    assert client.post(f"{BASE}/nope/vote", data={"csrf_token": token, "helpful": "yes"}).status_code == 404
    client.cookies.clear()  # another visitor
    other = csrf_of(client.get(f"{BASE}/bagages-perdus").text)
    client.post(f"{BASE}/bagages-perdus/vote", data={"csrf_token": other, "helpful": "no"})
    stats = {r["slug"]: r for r in faq.json("faq", "stats", "-t", TENANT)}["bagages-perdus"]
    assert (stats["helpful"], stats["not_helpful"], stats["helpful_rate"]) == (1, 1, 0.5)


def test_pages_only_for_tenants_enabling_selfhelp(client, faq, tmp_path):
    faq("tenant", "apply", "-f", str(tenant_yaml(tmp_path, "sans-faq", "enabled: false")))
    assert client.get("/t/sans-faq/faq").status_code == 404
    assert client.get("/t/inconnu/faq").status_code == 404
    assert client.get("/t/assurance-horizon/faq/annuler-reservation").status_code == 404  # not its article
