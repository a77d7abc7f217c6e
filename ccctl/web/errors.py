"""Error answers: the same clean page (or JSON) for every route, core or plugin, never a traceback.

An ``HTTPException`` becomes a page with its status and detail; any other exception raised by a
tenant route is logged here with its traceback and an error id, and the client gets a 500 page
naming only that id. Bad input raised as ``InputError`` by core helpers is a 400 with its message.
"""

from __future__ import annotations

import http
import logging
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ccctl.i18n import N_

log = logging.getLogger("ccctl.web")
# Page titles of the usual answers, translated with the tenant's locale (other statuses: HTTP's phrase).
TITLES = {400: N_("Bad Request"), 403: N_("Forbidden"), 404: N_("Not Found"), 405: N_("Method Not Allowed"),
          409: N_("Conflict"), 413: N_("Content Too Large"), 415: N_("Unsupported Media Type"),
          429: N_("Too Many Requests"), 500: N_("Internal Server Error"), 503: N_("Service Unavailable")}


def as_http_error(request: Request, exc: Exception) -> HTTPException:
    """What the client is told about ``exc`` raised by the route serving ``request``."""
    from ccctl.errors import InputError

    if isinstance(exc, HTTPException):
        return exc
    if isinstance(exc, InputError):
        return HTTPException(400, getattr(exc, "message", None) or str(exc))
    error_id = secrets.token_hex(4)
    log.error("error %s: %s %s failed", error_id, request.method, request.url.path, exc_info=exc)
    return HTTPException(500, N_("Something went wrong on our side (error %(id)s). It has been logged; "
                                 "please try again later.", id=error_id))


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette exception handler: the error page (or ``{"error": detail}`` for clients asking JSON)."""
    from ccctl.web.pages import harden, page_kit

    error = as_http_error(request, exc)
    status = error.status_code
    detail = error.detail if isinstance(error.detail, str) else http.HTTPStatus(status).phrase
    headers = dict(error.headers or {})
    if status in (204, 304):
        return harden(Response(status_code=status, headers=headers))
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        return harden(JSONResponse({"error": detail}, status_code=status, headers=headers))
    try:
        title = TITLES.get(status) or http.HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    context = {"status": status, "title": title, "detail": detail, "tenant_name": title}
    return page_kit().page(request, "error.html", context, status=status, headers=headers)
