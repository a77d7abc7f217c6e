"""The page kit: every HTML page, core's and plugins', is rendered and sent the same way.

``page_kit(folder)`` gives a plugin its :class:`PageKit` (its own templates, autoescaped, able to
extend core's ``base.html``); ``kit.page(request, "name.html", context)`` renders one with

* a strict Content-Security-Policy whose nonce is ``{{ nonce }}`` in the template (only inline
  ``<style nonce>``/``<script nonce>`` of this response run), ``nosniff``, a referrer policy,
  ``no-store``, and ``frame-ancestors 'none'`` + ``X-Frame-Options: DENY`` unless ``embed=True``;
* ``{{ csrf_token }}`` for forms: core's signed double-submit token (:mod:`ccctl.web.csrf`), its
  cookie set only when the template used the token. Check a post with :func:`csrf_ok`.

Data meant for JavaScript goes through ``| tojson`` (JSON, HTML-safe), never into comments.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

TEMPLATES = Path(__file__).parent / "templates"
# Pages that send no CSP of their own (a plugin's plain responses, JSON, XML) get this one.
DEFAULT_CSP = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"


class PageKit:
    """Templates of one folder (core's as a fallback), rendered into pages with core's headers and CSRF."""

    def __init__(self, folder: Path = TEMPLATES, domain: str | None = None) -> None:
        from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

        folders = [folder] if Path(folder) == TEMPLATES else [folder, TEMPLATES]
        self.env = Environment(loader=ChoiceLoader([FileSystemLoader(f) for f in folders]),
                               autoescape=select_autoescape(["html", "js"]), trim_blocks=True, lstrip_blocks=True,
                               extensions=["jinja2.ext.i18n"])
        self.env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks are one line in the catalogues
        # The gettext domain: core's, or the package holding the folder (``ccctl_callback/templates``).
        self.domain = domain or ("ccctl" if Path(folder) == TEMPLATES else Path(folder).parent.name)

    def render(self, name: str, context: dict[str, Any], locale: str | None = None) -> str:
        """``name`` rendered with ``context``, its texts in the language of ``locale`` (ccctl.i18n)."""
        from ccctl.i18n import jinja_context

        return self.env.get_template(name).render({**jinja_context(locale, self.domain), **context})

    def page(self, request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200,
             embed: bool = False, headers: dict[str, str] | None = None) -> HTMLResponse:
        """``name`` rendered for ``request`` (a ``/t/<tenant>`` route) as a hardened HTML response."""
        nonce = secrets.token_urlsafe(12)
        token = _CsrfToken(request)
        html = self.render(name, {"csrf_token": token, "csrf_field": "csrf_token", **(context or {}),
                                  "nonce": nonce, "embed": embed}, locale=page_locale(request))
        response = HTMLResponse(html, status_code=status, headers={**security_headers(nonce, embed), **(headers or {})})
        token.set_cookie_if_used(response)
        return response


@lru_cache(maxsize=None)
def page_kit(folder: Path | str = TEMPLATES) -> PageKit:
    """The kit of a template folder, e.g. ``page_kit(Path(__file__).parent / "templates")`` in a plugin.
    Its texts come from the gettext domain of the package holding the folder (docs/developing.md)."""
    return PageKit(Path(folder))


def security_headers(nonce: str, embed: bool = False) -> dict[str, str]:
    """Only this response's nonce may run code or style; only an embed page may be framed (by any site:
    the snippet is meant for clients' sites)."""
    ancestors = "*" if embed else "'none'"
    headers = {
        "Content-Security-Policy": (f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
                                    f"img-src 'self' https:; form-action 'self'; base-uri 'none'; "
                                    f"frame-ancestors {ancestors}"),
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
    if not embed:
        headers["X-Frame-Options"] = "DENY"
    return headers


def harden(response: Response) -> Response:
    """Give a response that set none of its own the kit's defaults (no inline code, not framable)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if "content-security-policy" not in response.headers:
        response.headers["Content-Security-Policy"] = DEFAULT_CSP
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def page_locale(request: Request) -> str | None:
    """The locale of a page for ``request``: the tenant's, or one of its ``languages`` the visitor's
    Accept-Language prefers (:func:`ccctl.i18n.negotiate`). Plugins translate their texts with it."""
    from ccctl.i18n import negotiate

    info = getattr(request.state, "tenant_info", None)
    if info is None:
        return None
    return negotiate(request.headers.get("accept-language"), info.locale, info.languages)


def csrf_ok(request: Request, form: Any) -> bool:
    """True when ``form`` (a posted form) carries the token of the visitor's CSRF cookie."""
    from ccctl.web import csrf

    value = form.get(csrf.FIELD) if form is not None else None
    return csrf.is_valid(request, value if isinstance(value, str) else None)


class _CsrfToken:
    """``{{ csrf_token }}``: computed on first use, so only pages holding a form set the cookie."""

    def __init__(self, request: Request) -> None:
        self.request, self.fresh_cookie, self.value = request, None, None

    def __str__(self) -> str:
        from ccctl.web import csrf

        if self.value is None:
            cookie = csrf.cookie_value(self.request)
            if cookie is None:
                cookie = self.fresh_cookie = csrf.new_cookie_value()
            self.value = csrf.token_for(self.request, cookie)
        return self.value

    __html__ = __str__  # a token is URL-safe: nothing for autoescape to do

    def __bool__(self) -> bool:
        return True

    def set_cookie_if_used(self, response: Response) -> None:
        from ccctl.web import csrf
        from ccctl.web.cookies import set_cookie

        if self.fresh_cookie is not None:
            set_cookie(response, self.request, csrf.COOKIE, self.fresh_cookie)


def render(name: str, context: dict[str, Any], locale: str | None = None) -> str:
    """A core template rendered (no response): e.g. the embed script."""
    return page_kit().render(name, context, locale)


def page(request: Request, name: str, context: dict[str, Any], status: int = 200, embed: bool = False) -> HTMLResponse:
    """A core page (``ccctl/web/templates``) through the kit."""
    return page_kit().page(request, name, context, status=status, embed=embed)
