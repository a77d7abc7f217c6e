"""FAQ search: median latency with 10,000 articles, and relevance (recall@3) on labelled queries.

For each database: applies the example clients, syncs the example FAQ of voyages-lumiere
(examples/faq/voyages-lumiere), measures recall@3 on tests/selfhelp/queries.yaml, then adds
--articles generated articles to the same tenant (each about 2-3 topic words from a long
tail, written among common travel words, Zipf-distributed), measures recall@3 again among
these distractors, and times --queries searches (the full path: analysis, SQL, results)
after a warm-up: median and p95 of "specific" queries (one or two topic words of an article,
maybe a common word) and the median of a worst case (only the commonest words). A LIKE scan
over the same terms, without any index and unranked, is the baseline for specific queries.

Target: median search <= 5 ms with 10,000 articles.

SQLite runs in a temporary file; PostgreSQL (with --pg) in a throwaway schema dropped afterwards.

Usage:
  python bench/faq.py                       # SQLite, 10,000 articles
  python bench/faq.py --pg                  # and PostgreSQL at 127.0.0.1:5432/test
  python bench/faq.py --pg postgresql+psycopg://user@host/db --articles 2000 --queries 200
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAQ = ROOT / "examples" / "faq" / "voyages-lumiere"
QUERIES = ROOT / "tests" / "selfhelp" / "queries.yaml"
TENANT = "voyages-lumiere"
TARGET_MS = 5.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

WORDS = """voyage séjour hôtel vol avion train location voiture réservation annulation remboursement
bagage valise cabine soute passeport visa plage montagne croisière circuit excursion guide transfert
aéroport gare départ arrivée retard correspondance escale billet tarif prix promotion offre paiement
carte facture assurance garantie enfant bébé famille groupe chambre suite petit-déjeuner demi-pension
pension complète piscine spa animation club climatisation wifi parking navette taxi restaurant menu
allergie régime végétarien handicap accessibilité assistance urgence médecin pharmacie vaccin santé
météo saison été hiver printemps automne neige ski randonnée vélo plongée snorkeling musée visite
château plage île archipel désert safari jungle temple marché shopping souvenir change devise euro
dollar banque retrait frais commission taxe séjour caution dépôt clé badge réception accueil ménage
linge serviette oreiller lit bébé poussette siège auto permis conduire assurance franchise sinistre
constat dommage rayure pneu carburant kilométrage restitution retour prolongation modification date
nom prénom adresse téléphone courriel compte mot de passe connexion application notification message""".split()


def vocabulary(rng: random.Random) -> list[str]:
    """Real words first (frequent), then 5,000 made-up ones (the long tail of real FAQs)."""
    syllables = ["ka", "lo", "mi", "ver", "tan", "sol", "ri", "pu", "nel", "dor", "fa", "zi", "bro", "que", "lin"]
    tail = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(8000)}
    return list(dict.fromkeys(WORDS)) + sorted(tail - set(WORDS))[:5000]


def zipf_sampler(vocab: list[str], rng: random.Random):
    weights = [1 / (rank + 1) ** 1.05 for rank in range(len(vocab))]
    return lambda k: rng.choices(vocab, weights=weights, k=k)


def generated_articles(n: int, rng: random.Random):
    """Articles about something: 2-3 topic words from the long tail (in the title, the tags
    and a few times in the body), the rest common words, Zipf-distributed."""
    from ccctl_selfhelp.articles import ArticleSource

    vocab = vocabulary(rng)
    sample = zipf_sampler(vocab, rng)
    for i in range(n):
        topic = rng.sample(vocab[40:], rng.randint(2, 3))
        title = " ".join(topic + sample(rng.randint(2, 5))).capitalize()
        body = " ".join(sample(rng.randint(60, 160)) + topic * rng.randint(1, 3)) + "."
        yield ArticleSource(slug=f"gen-{i:05d}", locale="fr", title=title, body=body, tags=topic[:2],
                            source=f"generated/{i:05d}.md")


def bench_queries(articles, n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """(specific, common): a visitor looking for one article types one or two of its topic
    words and maybe a common word; the worst case is two or three of the commonest words."""
    generated = [a for a in articles if a.slug.startswith("gen-")]
    common = zipf_sampler(WORDS[:30], rng)
    specific = []
    for _ in range(n):
        topic = rng.choice(generated).tags
        specific.append(" ".join(rng.sample(topic, rng.randint(1, len(topic))) + common(rng.randint(0, 1))))
    return specific, [" ".join(common(rng.randint(2, 3))) for _ in range(n)]


@contextlib.contextmanager
def database(kind: str, pg_url: str | None):
    """(url) of an empty database: a temporary SQLite file or a throwaway PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/faq-bench.db"
        return
    from ccctl.db.scratch import scratch_schema

    with scratch_schema(pg_url, "bench_faq") as url:
        yield url


def timed(calls) -> tuple[list[float], list[float]]:
    """Wall-clock and this thread's CPU milliseconds of each call. On a busy machine the wall
    clock also counts waiting for a CPU; the CPU time does not (but misses PostgreSQL's work)."""
    wall, cpu = [], []
    for call in calls:
        start, start_cpu = time.perf_counter(), time.thread_time()
        call()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return wall, cpu


def like_baseline(session, tenant, query: str) -> None:
    """What a search costs without a full-text index: every article whose terms contain a
    query term (LIKE, all of them, as ranking needs) — no ranking done."""
    from sqlalchemy import or_, select

    from ccctl_selfhelp.analysis import query_groups
    from ccctl_selfhelp.models import Article

    terms = [t for g in query_groups(query, ["fr", "en"]) for t in g]
    conditions = [getattr(Article, c).like(f"%{t}%") for t in terms
                  for c in ("terms_title", "terms_tags", "terms_body")]
    session.execute(select(Article.id).where(Article.tenant_id == tenant.id, or_(*conditions))).all()


def run(kind: str, url: str, args) -> dict:
    from click.testing import CliRunner

    from ccctl.cli import create_cli
    from ccctl.context import App
    from ccctl.plugins import get_plugin_manager
    from ccctl_selfhelp.articles import load_folder
    from ccctl_selfhelp.relevance import load_queries, recall_at
    from ccctl_selfhelp.search import search
    from ccctl_selfhelp.sync import apply, plan

    cli, runner = create_cli(get_plugin_manager()), CliRunner()
    for command in (["tenant", "apply", "-f", str(ROOT / "examples" / "clients")],
                    ["faq", "sync", str(FAQ), "-t", TENANT]):
        result = runner.invoke(cli, ["--database-url", url, *command])
        if result.exit_code:
            sys.exit(f"{' '.join(command)} failed: {result.output}")
    app = App(get_plugin_manager(), url)
    queries = load_queries(QUERIES)
    figures = {"database": kind}
    with app.session() as session:
        tenant = app.tenant(session, TENANT)

        def slugs(q, k):
            return [h.slug for h in search(session, tenant, q, limit=k)]

        figures["recall@3 example FAQ"], misses = recall_at(3, queries, slugs)
        rng = random.Random(42)
        sources = load_folder(FAQ, "fr") + list(generated_articles(args.articles, rng))
        start = time.perf_counter()
        apply(session, tenant, sources, plan(session, tenant, sources), progress=True)
        session.commit()
        if kind == "postgresql":  # what autovacuum does soon after a bulk load
            from sqlalchemy import text

            session.execute(text("ANALYZE selfhelp_articles"))
            session.commit()
        figures["index build s"] = time.perf_counter() - start
        figures["recall@3 with distractors"], _ = recall_at(3, queries, slugs)
        specific, common = bench_queries(sources, args.queries, rng)
        for q in specific[:20] + common[:20]:  # warm caches and stemmers
            search(session, tenant, q, limit=10)
        times, cpu = timed(lambda q=q: search(session, tenant, q, limit=10) for q in specific)
        worst, _ = timed(lambda q=q: search(session, tenant, q, limit=10) for q in common)
        base, _ = timed(lambda q=q: like_baseline(session, tenant, q) for q in specific[: max(20, args.queries // 10)])
    app.engine.dispose()
    figures["median ms"] = statistics.median(times)
    figures["p95 ms"] = statistics.quantiles(times, n=20)[-1]
    figures["cpu median ms"] = statistics.median(cpu)
    figures["common median ms"] = statistics.median(worst)
    figures["LIKE baseline median ms"] = statistics.median(base)
    figures["misses"] = misses
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--pg", nargs="?", const=DEFAULT_PG, default=None, metavar="URL",
                        help=f"also run on PostgreSQL (default URL {DEFAULT_PG})")
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.pg else [])
    print(f"FAQ search bench: {args.articles} generated articles + the example FAQ, {args.queries} queries; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for kind in kinds:
        with database(kind, args.pg) as url:
            f = run(kind, url, args)
        print(f"\n[{kind}] (load average now {os.getloadavg()[0]:.1f})", end="")
        verdict = "OK" if f["median ms"] <= TARGET_MS else "OVER TARGET"
        print()
        print(f"  index build ({args.articles + 20} articles): {f['index build s']:.1f} s")
        print(f"  search median {f['median ms']:.2f} ms, p95 {f['p95 ms']:.2f} ms "
              f"(target <= {TARGET_MS} ms: {verdict})")
        print(f"  in-process CPU per search: median {f['cpu median ms']:.2f} ms")
        print(f"  worst case, only the commonest words: median {f['common median ms']:.2f} ms")
        print(f"  baseline, unindexed LIKE scan finding the same articles (unranked): median "
              f"{f['LIKE baseline median ms']:.2f} ms = {f['LIKE baseline median ms'] / f['median ms']:.1f}x the search")
        print(f"  recall@3 on {QUERIES.relative_to(ROOT)}: {f['recall@3 example FAQ']:.3f} (example FAQ alone), "
              f"{f['recall@3 with distractors']:.3f} (with the generated articles)")
        for miss in f["misses"]:
            print(f"    missed: {miss['query']!r} wants {miss['relevant']}, got {miss['top']}")


if __name__ == "__main__":
    main()
