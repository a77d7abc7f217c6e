"""CSRF protection for forms: a signed double-submit cookie.

The cookie holds a random value; the form carries HMAC(secret, tenant:value). A forged
cross-site post cannot read the cookie, so cannot produce the matching field, and a cookie
planted by a sibling subdomain is useless without the server's secret. No server-side state,
so it works across workers and inside the embed iframe.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request

COOKIE = "ccctl_csrf"
FIELD = "csrf_token"


def new_cookie_value() -> str:
    return secrets.token_urlsafe(24)


def token_for(request: Request, cookie_value: str) -> str:
    secret = request.app.state.settings.secret.encode()
    message = f"{request.path_params['tenant']}:{cookie_value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def cookie_value(request: Request) -> str | None:
    """The visitor's CSRF cookie when it looks like one of ours."""
    value = request.cookies.get(COOKIE, "")
    return value if 16 <= len(value) <= 64 else None


def is_valid(request: Request, submitted: str | None) -> bool:
    cookie = cookie_value(request)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(token_for(request, cookie), submitted)
