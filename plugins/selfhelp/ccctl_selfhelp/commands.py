"""`ccctl faq ...`: sync, search, list, show, build, stats, gaps."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path

import click

from ccctl.commands.options import tenant_option, tenant_session
from ccctl.output import emit, emit_object, output_options

SYNC_COLUMNS = ["action", "slug", "source", "title"]
HIT_COLUMNS = ["slug", "title", "locale", "score", "match"]
since_option = click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
                            help="Count only events from this date (UTC), e.g. 2026-11-01.")


@click.group(epilog="""\b
Examples:
  ccctl faq sync examples/faq/voyages-lumiere -t voyages-lumiere --dry-run
  ccctl faq search "remboursement annulation" -t voyages-lumiere
  ccctl faq suggest "Bonjour, je veux annuler ma réservation" -t voyages-lumiere
  ccctl faq build --out site/ -t voyages-lumiere
  ccctl faq stats -t voyages-lumiere; ccctl faq gaps -t voyages-lumiere
""")
def faq() -> None:
    """Self-help FAQ: per-client articles, search, suggestions and public pages."""


@faq.command("sync")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--all", "show_all", is_flag=True, help="List unchanged articles too.")
@click.option("--all-tenants", is_flag=True,
              help="FOLDER holds one sub-folder per tenant slug: sync every tenant enabling selfhelp (cron).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing unless something went wrong (for cron).")
@tenant_option
@output_options
def sync_cmd(folder: Path, dry_run: bool, show_all: bool, all_tenants: bool, quiet: bool, tenant_slug: str | None,
             fmt: str | None) -> None:
    """Make the tenant's articles match FOLDER (Markdown with front matter, or YAML).

    New files are added, changed ones updated, unchanged ones left alone, and articles
    whose file is gone are removed. Nothing is written for a tenant if any of its files has a
    problem; every problem is listed with its file and line. With --all-tenants (cron), each
    tenant's FOLDER/<slug>/ is synced on its own: one tenant's bad file skips that tenant only
    (named on stderr, exit 1); a tenant with no sub-folder is left alone.

    \b
    Examples:
      ccctl faq sync articles/ -t voyages-lumiere       # or CCCTL_TENANT=voyages-lumiere
      ccctl faq sync /srv/faq --all-tenants --quiet     # crontab: /srv/faq/<slug>/...
    """
    from ccctl.context import App
    from ccctl.cron import CronRun, select_tenants

    app = click.get_current_context().find_object(App)
    run = CronRun("faq sync", quiet)
    if all_tenants:
        with app.transaction(commit=False) as session:
            tenants = select_tenants(app, session, None, True, "selfhelp",
                                     usable=lambda t: (folder / t.slug).is_dir())
            session.expunge_all()
        rows = run.each(tenants, lambda t: _sync_one(t.slug, folder / t.slug, dry_run, show_all, run))
        run.emit([r for found in rows for r in found], ["tenant", *SYNC_COLUMNS], fmt)
    else:
        run.emit(_sync_one(tenant_slug, folder, dry_run, show_all, run), SYNC_COLUMNS, fmt)
    if not dry_run:
        run.finish(app)  # recorded for `ccctl status`; exit 1 naming the tenants skipped


def _sync_one(tenant_slug: str | None, folder: Path, dry_run: bool, show_all: bool, run) -> list[dict]:
    from ccctl_selfhelp.analysis import language
    from ccctl_selfhelp.articles import load_folder
    from ccctl_selfhelp.sync import apply, plan

    with tenant_session(tenant_slug, commit=not dry_run) as (_app, session, tenant):
        sources = load_folder(folder, language(tenant.config.get("locale") or "fr"))
        if "selfhelp" not in tenant.enabled_plugins():
            click.echo(f"warning: tenant {tenant.slug} does not enable selfhelp: its articles are stored but "
                       "neither served nor suggested (set plugins.selfhelp.enabled: true)", err=True)
        changes = plan(session, tenant, sources)
        if not dry_run:
            apply(session, tenant, sources, changes, progress=not run.quiet)
        slug = tenant.slug
    run.ok(tenant)
    done = {"create": "created", "update": "updated", "delete": "deleted", "unchanged": "unchanged"}
    summary = ", ".join(f"{sum(c.action == a for c in changes)} {word}" for a, word in done.items())
    run.note(("dry run, nothing written: " if dry_run else "") + f"{summary} (tenant {slug})")
    return [{"tenant": slug, **c.row()} for c in changes if show_all or c.action != "unchanged"]


@faq.command("search")
@click.argument("query")
@click.option("--limit", "-n", default=5, show_default=True, type=click.IntRange(1, 100), help="Results to show.")
@click.option("--locale", help="Only articles in this language (fr, en...).")
@tenant_option
@output_options
def search_cmd(query: str, limit: int, locale: str | None, tenant_slug: str | None, fmt: str | None) -> None:
    """Search the tenant's articles, best match first.

    Accents, case and word endings do not matter: "rembourse" finds "Remboursement".
    An empty result exits 0 with no rows.
    """
    from ccctl.errors import InputError
    from ccctl_selfhelp.search import search

    if not query.strip():
        raise InputError("give words to search for, e.g. \"remboursement annulation\"")
    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        hits = search(session, tenant, query, limit=limit, locale=locale)
    emit([h.row() for h in hits], HIT_COLUMNS, fmt)


@faq.command("suggest")
@click.argument("text")
@tenant_option
@output_options
def suggest_cmd(text: str, tenant_slug: str | None, fmt: str | None) -> None:
    """What a new e-mail saying TEXT would get: the suggested articles, and whether the tenant's
    settings would answer it automatically (the reason is printed on stderr). Changes nothing.

    \b
    Example:
      ccctl faq suggest "Bonjour, comment annuler ma réservation ?" -t voyages-lumiere
    """
    from ccctl_selfhelp.config import SelfhelpConfig
    from ccctl_selfhelp.search import search
    from ccctl_selfhelp.suggest import decide

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        config = SelfhelpConfig.model_validate(tenant.plugin_config("selfhelp"))
        hits = search(session, tenant, text, limit=config.suggestions)
    decision = decide(hits, config)
    click.echo(f"automatic answer: {decision.hit.slug if decision.hit else 'no'} ({decision.reason})", err=True)
    emit([{**h.row(), "auto_answer": h is decision.hit} for h in hits], HIT_COLUMNS + ["auto_answer"], fmt)


@faq.command("list")
@tenant_option
@output_options
def list_cmd(tenant_slug: str | None, fmt: str | None) -> None:
    """The tenant's articles."""
    from sqlalchemy import select

    from ccctl_selfhelp.models import Article

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        articles = session.scalars(select(Article).where(Article.tenant_id == tenant.id).order_by(Article.slug))
        rows = [{"slug": a.slug, "title": a.title, "locale": a.locale, "tags": a.tags, "source": a.source,
                 "updated_at": a.updated_at} for a in articles]
    emit(rows, ["slug", "title", "locale", "tags", "source", "updated_at"], fmt)


@faq.command("show")
@click.argument("slug")
@tenant_option
@output_options
def show_cmd(slug: str, tenant_slug: str | None, fmt: str | None) -> None:
    """One article, with its Markdown body."""
    from ccctl_selfhelp.publish import get_article

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        a = get_article(session, tenant, slug)
        emit_object({"slug": a.slug, "title": a.title, "locale": a.locale, "tags": a.tags, "source": a.source,
                     "updated_at": a.updated_at, "body": a.body}, fmt)


@faq.command("build")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write the site into (created; existing FAQ files are replaced).")
@tenant_option
def build_cmd(out: Path, tenant_slug: str | None) -> None:
    """Write a static FAQ site a client can host anywhere: index, one page per article
    and client-side search through a prebuilt index (works from file:// too).

    \b
    Example:
      ccctl faq build --out site/ -t voyages-lumiere && python3 -m http.server -d site
    """
    from ccctl_selfhelp.static_site import build

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        written = build(session, tenant, out)
    click.echo(f"{written} article pages written to {out}/ (open {out}/index.html)", err=True)


@faq.command("stats")
@since_option
@click.option("--summary", is_flag=True, help="Tenant-wide totals instead of one row per article.")
@tenant_option
@output_options
def stats_cmd(since, summary: bool, tenant_slug: str | None, fmt: str | None) -> None:
    """Deflection figures per article: views, helpful votes, suggestions, automatic answers."""
    from ccctl_selfhelp.events import article_stats, totals

    since = since.replace(tzinfo=timezone.utc) if since else None
    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        if summary:
            emit_object(totals(session, tenant, since), fmt)
            return
        rows = article_stats(session, tenant, since)
    emit(rows, None, fmt)


@faq.command("gaps")
@since_option
@click.option("--limit", "-n", default=50, show_default=True, type=click.IntRange(1, 1000))
@tenant_option
@output_options
def gaps_cmd(since, limit: int, tenant_slug: str | None, fmt: str | None) -> None:
    """Searches that found no article, most frequent first: the articles to write next."""
    from ccctl_selfhelp.events import gaps

    since = since.replace(tzinfo=timezone.utc) if since else None
    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        rows = gaps(session, tenant, since, limit)
    emit(rows, ["query", "searches", "last"], fmt)
