"""HTML pages from Jinja templates (autoescaped), with a strict Content-Security-Policy per response."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "js"]),
                       trim_blocks=True, lstrip_blocks=True)


def render(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(**context)


def page(name: str, context: dict[str, Any], status: int = 200, embed: bool = False) -> HTMLResponse:
    """Render ``name``; only inline code carrying this response's nonce may run, and only an embed
    page may be framed (by any site: the snippet is meant for clients' sites)."""
    nonce = secrets.token_urlsafe(12)
    html = render(name, {**context, "nonce": nonce, "embed": embed})
    ancestors = "*" if embed else "'none'"
    csp = (f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
           f"form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}")
    headers = {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
    if not embed:
        headers["X-Frame-Options"] = "DENY"
    return HTMLResponse(html, status_code=status, headers=headers)
