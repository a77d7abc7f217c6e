"""Twilio webhook verification used by every Twilio route: signature (403 if wrong), then replay refusal.

The replay key is a hash of exactly what the signature covers (the URL without its port, then
each sorted parameter name followed by its sorted distinct values, as ``RequestValidator``
concatenates them; for JSON webhooks the URL, whose ``bodySHA256`` covers the body). So a seen
request sent again with its fields reordered, re-encoded, duplicated or re-split (``a=bc`` and
``ab=c`` sign the same), or with the port added or dropped, is the same key and refused.

Seen requests are remembered in the database (table ``web_seen_requests``), not in memory:
every uvicorn worker sees them, they survive restarts, and the row is written in the same
transaction as the route's work, so a request whose handling failed leaves no trace and
Twilio's retry of it is still accepted, while a replay of a handled one gets 403.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ccctl.context import TenantContext
from ccctl.db.models import SeenRequest, utcnow
from ccctl.web.proxy import external_url

SIGNATURE_HEADER = "X-Twilio-Signature"


def verify_twilio(request: Request, ctx: TenantContext, auth_token: str) -> Any:
    """Check ``X-Twilio-Signature`` against ``auth_token`` and refuse replays; return the signed params.

    Call it inside :func:`ccctl.web.scope.tenant_scope` before changing anything: the 403 it
    raises rolls the transaction back. Returns the form (a FormData) for form posts, or the
    body text for JSON webhooks (signed with ``?bodySHA256=``).
    """
    params, digest = check_signature(request, auth_token)
    remember_request(ctx, digest, request.app.state.settings.replay_window)
    return params


def check_signature(request: Request, auth_token: str) -> tuple[Any, str]:
    """The signature half of :func:`verify_twilio`: (the signed params, their replay digest), or 403.

    Touches no database, so a hot route may run it before its transaction (on SQLite, before
    taking the write turn), then call :func:`remember_request` with the digest inside it.
    """
    from twilio.request_validator import (
        SIGNATURE_SETTINGS_HEADER,
        RequestValidator,
        get_signature_algorithm,
    )

    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        raise HTTPException(403, f"missing {SIGNATURE_HEADER}")
    if not auth_token:
        raise HTTPException(403, "no Twilio auth token configured for this tenant")
    url = external_url(request.scope, request.app.state.settings)
    body: bytes = request.state.body
    form = request.state.form
    if form is not None:
        params: Any = form
    elif "bodySHA256" in request.query_params:
        params = body.decode("utf-8", "replace")  # JSON webhooks: the URL's hash covers the body
    elif body:
        raise HTTPException(403, "a Twilio request body must be a form or carry ?bodySHA256=")
    else:
        params = {}  # GET webhooks: the signed URL holds every parameter
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    if not RequestValidator(auth_token).validate(url, params, signature, algorithm):
        raise HTTPException(403, "bad Twilio signature")
    return params, replay_key(url, params)


def signed_text(url: str, params: Any) -> str:
    """What Twilio's signature covers, in one canonical form: the URL without its port (the validator
    accepts it with or without one), then each sorted name with its sorted distinct values."""
    from urllib.parse import urlparse

    from twilio.request_validator import RequestValidator, remove_port

    text = remove_port(urlparse(url))
    if isinstance(params, str):  # a JSON webhook: the URL's ?bodySHA256= stands for the body
        return text
    for name in sorted(set(params)):
        for value in sorted(set(RequestValidator.get_values(None, params, name))):
            text += name + value
    return text


def replay_key(url: str, params: Any) -> str:
    """The digest stored for a verified request: any request its signature also validates has the same."""
    return hashlib.sha256(signed_text(url, params).encode("utf-8", "surrogatepass")).hexdigest()


def remember_request(ctx: TenantContext, digest: str, window: int) -> None:
    """Store a request's ``digest`` (:func:`replay_key`); 403 if it is already there (a replay).

    Digests older than ``window`` seconds are forgotten: swept at most once a minute per
    process (one DELETE per webhook was a fifth of a voice webhook's time), and a clash with
    one of them is settled at once (the stale row goes, the request is accepted).
    """
    conn, now = ctx.session.connection(), utcnow()
    cutoff = now - timedelta(seconds=window)
    global _swept
    if time.monotonic() - _swept > SWEEP_SECONDS:
        conn.execute(_SWEEP, {"cutoff": cutoff})
        _swept = time.monotonic()
    row = {"tenant_id": ctx.tenant.id, "seen_at": now, "digest": digest}
    store = _store(conn.dialect.name)
    if conn.execute(store, row).first() is not None:
        return
    if conn.execute(_FORGET, {"digest": digest, "cutoff": cutoff}).rowcount and \
            conn.execute(store, row).first() is not None:
        return  # the digest seen before had outlived the window
    raise HTTPException(403, "replayed Twilio request")


SWEEP_SECONDS = 60.0
_swept = float("-inf")
_STORE: dict[str, Any] = {}


def _store(name: str) -> Any:
    """Dialect ``name``'s ``INSERT ... ON CONFLICT (digest) DO NOTHING RETURNING id`` (built once)."""
    if name not in _STORE:
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        table = SeenRequest.__table__
        _STORE[name] = insert(table).on_conflict_do_nothing(index_elements=["digest"]).returning(table.c.id)
    return _STORE[name]


_SWEEP = delete(SeenRequest).where(SeenRequest.seen_at < bindparam("cutoff"))
_FORGET = delete(SeenRequest).where(SeenRequest.digest == bindparam("digest"), SeenRequest.seen_at < bindparam("cutoff"))
