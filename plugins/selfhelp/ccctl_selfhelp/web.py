"""Public FAQ pages under ``ccctl serve``: /t/<tenant>/faq (search), /faq/<slug> (article, votes).

Served only for tenants enabling selfhelp (core's router returns 404 for the others), through
core's page kit (its headers, its CSRF). Views, searches and votes are counted anonymously (see
events); a vote needs the CSRF token of the page it came from, and counts once per visitor and article.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ccctl.i18n import N_
from ccctl_selfhelp.analysis import language
from ccctl_selfhelp.pages import labels

TEMPLATES = Path(__file__).parent / "templates"

MAX_QUERY_CHARS = 200
EXPIRED = N_("This form has expired: reload the page and vote again.")


def routes(register) -> None:
    register("/faq", index, methods=("GET",), name="selfhelp-index")
    register("/faq/{slug}", article_page, methods=("GET",), name="selfhelp-article")
    register("/faq/{slug}/vote", vote, methods=("POST",), name="selfhelp-vote")


def index(request: Request) -> Response:
    from ccctl.web.scope import tenant_scope
    from ccctl_selfhelp.events import record
    from ccctl_selfhelp.publish import all_articles
    from ccctl_selfhelp.search import search

    query = (request.query_params.get("q") or "").strip()[:MAX_QUERY_CHARS]
    with tenant_scope(request) as ctx:
        hits = search(ctx.session, ctx.tenant, query, limit=10) if query else []
        if query:
            record(ctx.session, ctx.tenant, "search", query=query, results=len(hits))
        base = _served_base(ctx.tenant)
        articles = [{"title": a.title, "locale": a.locale, "url": f"{base}/{a.slug}"}
                    for a in all_articles(ctx.session, ctx.tenant)]
        context = _context(ctx.tenant, base, query=query, searched=bool(query), articles=articles,
                           hits=[{"title": h.title, "snippet": h.snippet, "url": f"{base}/{h.slug}"} for h in hits])
    return _page(request, "index.html", context)


def article_page(request: Request) -> Response:
    from ccctl.web.scope import tenant_scope
    from ccctl_selfhelp.events import record
    from ccctl_selfhelp.publish import find_article
    from ccctl_selfhelp.render import to_html

    slug = request.path_params["slug"]
    with tenant_scope(request) as ctx:
        article = find_article(ctx.session, ctx.tenant, slug)
        if article is None:
            raise HTTPException(404, f"no article '{slug}'")
        voted = request.query_params.get("voted") == "1"
        if not voted:
            record(ctx.session, ctx.tenant, "view", article_id=article.id)
        base = _served_base(ctx.tenant)
        context = _context(ctx.tenant, base, lang=article.locale, body_html=to_html(article.body),
                           article={"title": article.title, "locale": article.locale, "tags": article.tags},
                           vote_action=f"{base}/{slug}/vote", voted=voted)
    return _page(request, "article.html", context)


def vote(request: Request) -> Response:
    from ccctl.web import csrf
    from ccctl.web.pages import csrf_ok
    from ccctl.web.scope import tenant_scope
    from ccctl_selfhelp.events import record
    from ccctl_selfhelp.publish import find_article

    form = request.state.form or {}
    if not csrf_ok(request, form):
        from ccctl.i18n import translate, translator

        locale = getattr(getattr(request.state, "tenant_info", None), "locale", None)
        raise HTTPException(403, translate(EXPIRED, translator(locale, "ccctl_selfhelp")))
    helpful = {"yes": True, "no": False}.get(form.get("helpful") or "")
    if helpful is None:
        raise HTTPException(400, "helpful must be yes or no")
    slug = request.path_params["slug"]
    with tenant_scope(request) as ctx:
        article = find_article(ctx.session, ctx.tenant, slug)
        if article is None:
            raise HTTPException(404, f"no article '{slug}'")
        # One vote per visitor (CSRF cookie) and article: a second click or a re-post is ignored.
        token = hashlib.sha256(f"{csrf.cookie_value(request)}:{article.id}".encode()).hexdigest()
        record(ctx.session, ctx.tenant, "vote", article_id=article.id, helpful=helpful, token=token)
        url = f"{_served_base(ctx.tenant)}/{slug}?voted=1#vote"
    return RedirectResponse(url, status_code=303)


def _served_base(tenant) -> str:
    return f"/t/{tenant.slug}/faq"


def _context(tenant, home: str, lang: str | None = None, **extra: Any) -> dict[str, Any]:
    lang = lang or language(tenant.config.get("locale") or "fr")
    defaults = {"query": "", "searched": False, "hits": [], "articles": [], "static": False,
                "vote_action": None, "voted": False}
    return {**defaults, "tenant_name": tenant.name, "home": home, "lang": lang, "t": labels(lang), **extra}


def _page(request: Request, template: str, context: dict[str, Any]) -> Response:
    """Through core's page kit: its CSP (nonce for the inline style, no script), nosniff, no framing, CSRF."""
    from ccctl.web.pages import page_kit

    return page_kit(TEMPLATES).page(request, template, context)
