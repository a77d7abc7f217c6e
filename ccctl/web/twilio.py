"""Twilio webhook verification used by every Twilio route: signature (403 if wrong), then replay refusal.

Seen requests are remembered in the database (table ``web_seen_requests``), not in memory:
every uvicorn worker sees them, they survive restarts, and the row is written in the same
transaction as the route's work, so a request whose handling failed leaves no trace and
Twilio's retry of it is still accepted, while a replay of a handled one gets 403.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from ccctl.context import TenantContext
from ccctl.web.proxy import external_url

SIGNATURE_HEADER = "X-Twilio-Signature"


def verify_twilio(request: Request, ctx: TenantContext, auth_token: str) -> Any:
    """Check ``X-Twilio-Signature`` against ``auth_token`` and refuse replays; return the signed params.

    Call it inside :func:`ccctl.web.scope.tenant_scope` before changing anything: the 403 it
    raises rolls the transaction back. Returns the form (a FormData) for form posts, or the
    body text for JSON webhooks (signed with ``?bodySHA256=``).
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
    remember_request(ctx, signature, url, body, request.app.state.settings.replay_window)
    return params


def request_digest(signature: str, url: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([signature.encode(), url.encode(), body])).hexdigest()


def remember_request(ctx: TenantContext, signature: str, url: str, body: bytes, window: int) -> None:
    """Store the request's digest; 403 if it is already there (a replay), forgetting ones older than ``window``."""
    from sqlalchemy import delete

    from ccctl.db.models import SeenRequest, utcnow
    from ccctl.db.upsert import insert_or_skip

    session, now = ctx.session, utcnow()
    session.execute(delete(SeenRequest).where(SeenRequest.seen_at < now - timedelta(seconds=window)))
    stored = insert_or_skip(session, SeenRequest, dict(tenant_id=ctx.tenant.id, seen_at=now,
                                                       digest=request_digest(signature, url, body)),
                            conflict=("digest",), returning=SeenRequest.id)
    if stored is None:
        raise HTTPException(403, "replayed Twilio request")
