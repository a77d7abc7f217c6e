"""Cookie attributes that work both on the ccctl site and inside a client's page (the embed iframe)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ccctl.web.proxy import external_base

def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
    """Set an HttpOnly cookie for this tenant's pages, with the attributes below."""
    options = cookie_options(request, max_age)
    partitioned = options.pop("partitioned", False)
    response.set_cookie(name, value, **options)
    if partitioned:  # Python < 3.14's http.cookies cannot write the attribute: add it to the header
        key, header = response.raw_headers[-1]
        response.raw_headers[-1] = (key, header + b"; Partitioned")


def cookie_options(request: Request, max_age: int | None = None) -> dict[str, Any]:
    """Scoped to this tenant's path. Over https: SameSite=None; Secure; Partitioned, so the cookie
    also works in the iframe of a client's site on another domain. Over plain http (development,
    tests) Secure is impossible: SameSite=Lax, which still covers embeds on the same site."""
    base = external_base(request.scope, request.app.state.settings)
    secure_context = base.startswith("https://")
    options: dict[str, Any] = {
        "path": f"/t/{request.path_params['tenant']}/",
        "httponly": True,
        "max_age": max_age,
    }
    if secure_context:
        options.update(secure=True, samesite="none", partitioned=True)
    else:
        options.update(samesite="lax")
    return options
