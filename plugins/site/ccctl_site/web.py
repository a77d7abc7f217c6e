"""``POST /t/<tenant>/api/events``: a client's site pushes one signed JSON event.

201 stored (200 when the event id was already stored: retries are harmless), 401 bad or old
signature, 413 too large, 415 not JSON, 422 invalid (``field`` names the bad value), 503 the
tenant's key is not configured. Error bodies are JSON ``{"error": ..., "field": ...}``.
"""

from __future__ import annotations

import threading

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

_writer_lock = threading.Lock()


def receive_event(request: Request) -> Response:
    """Plain def: Starlette runs it in a thread, where the database work belongs."""
    from ccctl.errors import InputError

    info = request.state.tenant_info
    writer = _writer(request)
    with writer.arriving():  # the batch being formed waits for this event rather than leave it to the next
        checked = _check(request, info)
    if isinstance(checked, Response):
        return checked
    try:
        result = writer.run(info, checked)
    except InputError as exc:  # what matching refuses (bad identity fields): the sender's to fix
        return _error(422, exc.message.removeprefix("site events:0: "), "customer")
    return JSONResponse(result, status_code=200 if result["duplicate"] else 201)


def _check(request: Request, info) -> Response | tuple:
    """(event, contact points, tenant settings) ready to store, or the error answer."""
    from ccctl.config.model import parse_duration
    from ccctl.config.secrets import resolve_secret
    from ccctl.errors import CcctlError
    from ccctl_site.config import site_config
    from ccctl_site.schema import EventError, parse_event
    from ccctl_site.signing import HEADER, BadSignature, verify

    config = site_config(info.row)
    body: bytes = request.state.body
    if len(body) > config.max_event_bytes:
        return _error(413, f"the body is {len(body)} bytes; this tenant accepts at most {config.max_event_bytes}")
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return _error(415, "send the event as Content-Type: application/json")
    try:
        keys = [resolve_secret(ref, "plugins.site.secrets") for ref in config.secrets]
    except CcctlError:  # the operator's fault, not the sender's: said without naming the variable
        return _error(503, "the events API key of this tenant is not configured on the server")
    if not keys:
        return _error(503, "the events API has no key for this tenant (plugins.site.secrets)")
    try:
        verify(keys, request.headers.get(HEADER), body, max_skew=parse_duration(config.max_clock_skew) * 60)
    except BadSignature as exc:
        return _error(401, str(exc))
    try:
        event, points = parse_event(body, info.region, _external_keys(info))
    except EventError as exc:
        return _error(422, exc.message, exc.field)
    return event, points, config


_keys: dict[int, tuple[object, tuple[str, ...]]] = {}  # tenant id -> (its directory row, external keys)


def _external_keys(info) -> tuple[str, ...]:
    """The tenant's customer keys (``customers.external_keys``), worked out once per directory row."""
    cached = _keys.get(info.id)
    if cached is None or cached[0] is not info.row:
        from ccctl.identity.rules import rules_for

        cached = _keys[info.id] = (info.row, tuple(rules_for(info.row).external_keys))
    return cached[1]


def _writer(request: Request):
    """The process's group writer for events: concurrent requests share a transaction (ccctl.web.batch)."""
    state = request.app.state
    writer = getattr(state, "site_event_writer", None)
    if writer is None:
        with _writer_lock:
            writer = getattr(state, "site_event_writer", None)
            if writer is None:
                from ccctl.web.batch import GroupWriter
                from ccctl_site.ingest import store_events

                writer = state.site_event_writer = GroupWriter(state.ccctl, store_events)
    return writer


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body = {"error": message} if field is None else {"error": message, "field": field}
    return JSONResponse(body, status_code=status)
