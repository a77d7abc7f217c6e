"""Twilio Programmable Voice webhooks under ``/t/<tenant>/voice/``.

Every route checks ``X-Twilio-Signature`` and refuses replays (``verify_twilio``) before
anything is written, then answers TwiML. Imported only by ``ccctl serve``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

XML = "application/xml"
log = logging.getLogger("ccctl.voice")


def _steps() -> dict[str, Callable]:
    import ccctl_voice.journey as journey
    import ccctl_voice.legs as legs

    return {
        "incoming": journey.incoming, "case": journey.case, "menu": journey.menu,
        "menu-choice": journey.menu_choice, "enqueue": journey.enqueue_default, "wait": journey.wait,
        "wait-key": journey.wait_key, "offer-key": journey.offer_key, "queue-exit": journey.queue_exit,
        "connect": legs.connect, "whisper": legs.whisper, "dial-result": legs.dial_result,
        "status": legs.status, "recorded": legs.recorded, "recording": legs.recording,
        "web-code": journey.web_code,
    }


def register_routes(register) -> None:
    for step, work in _steps().items():
        register(f"/voice/{step}", _endpoint(work), methods=("POST",), name=f"voice-{step}")
    register("/voice/web-code/new", issue_web_code, methods=("GET",), name="voice-web-code-new")
    from ccctl_voice.stream import pops

    register("/voice/pops", pops, methods=("GET",), name="voice-pops")


def issue_web_code(request: Request) -> Response:
    """GET .../voice/web-code/new: a fresh code for the site to show its visitor (``?ref=``, else the contact form's cookie; ``?page=``)."""
    from starlette.responses import JSONResponse

    from ccctl.db.models import utcnow
    from ccctl.web.contact import REF_COOKIE
    from ccctl.web.contact_form import clean_referral
    from ccctl.web.scope import tenant_scope
    from ccctl_voice.config import voice_config
    from ccctl_voice.webcode import new_code

    ref = clean_referral(request.query_params.get("ref")) or clean_referral(request.cookies.get(REF_COOKIE))
    page = request.query_params.get("page") or request.headers.get("referer") or ""
    with tenant_scope(request) as ctx:
        cfg = voice_config(ctx.tenant)
        if cfg.web_code_key is None:
            raise HTTPException(404, "web codes are off for this tenant (plugins.voice.web_code_key)")
        row = new_code(ctx, cfg, ref, page if page.startswith(("http://", "https://")) else "", utcnow())
        answer = {"code": row.code, "key": cfg.web_code_key, "expires_at": row.expires_at.isoformat()}
    return JSONResponse(answer, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _endpoint(work: Callable) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        from ccctl.web.twilio import check_signature
        from ccctl_voice.config import voice_config

        # The signature is checked before any transaction (on SQLite, before the write turn is
        # taken): the directory's copy of the tenant row is the one the transaction then uses.
        info = request.state.tenant_info
        cfg = voice_config(info.row)
        params, digest = check_signature(request, auth_token(info.row, cfg))
        if not hasattr(params, "get"):
            raise HTTPException(400, "a voice webhook is a form post")
        step = Step(work, cfg, params, request.query_params, digest, request.app.state.settings.replay_window)
        writer = _group_writer(request.app)
        if writer is not None:
            answer = writer.run(info, step)
        else:
            from ccctl.web.scope import tenant_scope

            with tenant_scope(request) as ctx:
                answer = step.run(ctx)
        if isinstance(answer, HTTPException):
            raise answer
        return Response(str(answer), media_type=XML)  # TwiML written once the transaction is over

    endpoint.__name__ = f"voice_{work.__name__}"
    return endpoint


@dataclass
class Step:
    """One verified webhook to handle: its replay digest is stored with its work, in one transaction."""

    work: Callable
    cfg: Any
    params: Any
    query: Any
    digest: str
    window: int

    def run(self, ctx):
        from ccctl.db.models import utcnow
        from ccctl.web.twilio import remember_request
        from ccctl_voice.calls import Refused

        remember_request(ctx, self.digest, self.window)
        try:
            return self.work(ctx, self.cfg, self.params, self.query, utcnow())
        except Refused as exc:
            raise HTTPException(exc.status, exc.detail) from None


def store_steps(ctx, steps: list[Step]) -> list[Any]:
    """Group commit (SQLite): the webhooks that waited for this process's write turn together,
    each in a savepoint, so a refused one (403 replay, 404...) undoes only its own writes."""
    answers: list[Any] = []
    for step in steps:
        try:
            with ctx.session.begin_nested():
                answers.append(step.run(ctx))
        except HTTPException as exc:
            answers.append(exc)
    return answers


_WRITERS = threading.Lock()


def _group_writer(web):
    """The process's group writer of voice webhooks on SQLite (one write turn at a time: the requests
    queued meanwhile share the next transaction); None on PostgreSQL, where they run side by side."""
    writer = getattr(web.state, "voice_writer", False)
    if writer is False:
        from ccctl.web.batch import GroupWriter

        with _WRITERS:
            writer = getattr(web.state, "voice_writer", False)
            if writer is False:
                app = web.state.ccctl
                writer = GroupWriter(app, store_steps) if app.engine.dialect.name == "sqlite" else None
                web.state.voice_writer = writer
    return writer


def auth_token(tenant, cfg) -> str:
    """The tenant's Twilio auth token; '' when its secret is unset (logged, naming the tenant and
    the variable), so the webhook gets 403 like any unsigned request, not a 500."""
    from ccctl.config.secrets import resolve_secret
    from ccctl.errors import CcctlError

    try:
        return resolve_secret(cfg.auth_token, "plugins.voice.auth_token") or ""
    except CcctlError as exc:
        log.warning("tenant %s: %s: voice webhooks are refused (403) until it is set", tenant.slug, exc.message)
        return ""
