"""``create_web_app(app)``: the ASGI application `ccctl serve` runs.

Routes: ``/health``; core tenant routes (the contact form and its embed snippet); and every
route plugins register through ``ccctl_register_routes``, served at ``/t/<tenant><path>``
only for tenants that enable the plugin (404 for the others).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ccctl.context import App
from ccctl.web.batch import GroupWriter
from ccctl.web.contact_store import store_contacts
from ccctl.web.errors import as_http_error, http_error
from ccctl.web.limits import BodyLimit, RateLimit
from ccctl.web.pages import harden
from ccctl.web.routes import is_switchable, plugin_routes
from ccctl.web.scope import TenantDirectory, tenant_info
from ccctl.web.settings import WebSettings
from ccctl.web.storable import refuse_unstorable

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def create_web_app(app: App, settings: WebSettings | None = None) -> Starlette:
    """The ASGI app for ``app`` (plugin manager + database), with server-wide ``settings``."""
    settings = (settings or WebSettings()).with_secret()
    routes = [Route("/health", health, methods=["GET"], name="health"),
              Route("/favicon.ico", no_icon, methods=["GET"], name="favicon")]
    for path, endpoint, methods, name, plugin in tenant_routes(app.pm):
        routes.append(tenant_route(path, endpoint, methods, name, plugin))
    web = Starlette(routes=routes, middleware=[
        Middleware(RateLimit, settings=settings),   # outermost: a flood is refused before any work
        Middleware(BodyLimit, settings=settings),
    ], exception_handlers={HTTPException: http_error, Exception: http_error})
    web.state.ccctl = app
    web.state.settings = settings
    web.state.tenants = TenantDirectory(app)
    web.state.contact_writer = GroupWriter(app, store_contacts)
    return web


def tenant_routes(pm) -> list[tuple[str, Callable, tuple[str, ...], str | None, str | None]]:
    """(path, endpoint, methods, name, plugin or None when always on) of every /t/<tenant> route.

    Raises ValueError naming the plugin when a route is malformed or taken (by core or another plugin).
    """
    from ccctl.web.contact import contact_routes

    core = [(path, endpoint, tuple(methods), name, None) for path, endpoint, methods, name in contact_routes()]
    taken = {(path, m) for path, _e, methods, _n, _p in core for m in methods}
    routes = list(core)
    for route in plugin_routes(pm):
        clash = [m for m in route.methods if (route.path, m) in taken]
        if clash:
            raise ValueError(f"plugin {route.plugin}: route {clash[0]} {route.path} is a core route")
        plugin = route.plugin if is_switchable(pm, route.plugin) else None
        routes.append((route.path, route.endpoint, route.methods, route.name, plugin))
    return routes


def tenant_route(path: str, endpoint: Callable, methods: Iterable[str], name: str | None,
                 plugin: str | None) -> Route:
    """A route at ``/t/{tenant}<path>``: 404 for unknown tenants and, when ``plugin`` is set,
    for tenants that do not enable it; the body is read (size-limited) and input no database can
    store refused (400) before the endpoint runs. Whatever the endpoint raises becomes the same clean
    error page (logged when unexpected); its answer gets the page kit's default headers."""
    is_async = inspect.iscoroutinefunction(endpoint)

    async def tenant_endpoint(request: Request) -> Response:
        info = await tenant_info(request)
        if plugin is not None and plugin not in info.plugins:
            raise HTTPException(404, f"tenant '{info.slug}' does not enable plugin '{plugin}'")
        request.state.tenant_info = info
        await read_body(request)
        refuse_unstorable(request)
        try:
            if is_async:
                response = await endpoint(request)
            else:
                response = await run_in_threadpool(endpoint, request)
        except Exception as exc:  # a plugin's bug or a database refusal: a clean page, the traceback in the log
            raise as_http_error(request, exc) from None
        return harden(response)

    return Route("/t/{tenant}" + path, tenant_endpoint, methods=list(methods), name=name)


async def read_body(request: Request) -> None:
    """``request.state.body`` (bytes) and ``request.state.form`` (FormData for form posts, else None),
    so plain ``def`` endpoints, which cannot await, have them too."""
    request.state.body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    request.state.form = await request.form() if content_type in FORM_TYPES else None


async def no_icon(request: Request) -> Response:
    """Browsers ask every site for one: an empty answer, cached, rather than an error page each time."""
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


async def health(request: Request) -> Response:
    """200 when the database answers, 503 otherwise (for load balancers and `ccctl serve` start-up)."""
    from sqlalchemy import text

    def ping() -> None:
        with request.app.state.ccctl.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await run_in_threadpool(ping)
    except Exception as exc:  # any database failure means "not healthy", never a 500 page
        return JSONResponse({"status": "error", "database": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok"})
