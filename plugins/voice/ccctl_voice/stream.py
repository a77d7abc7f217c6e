"""The screen pop as server-sent events, for a web page: ``GET /t/<tenant>/voice/pops?agent=&token=``.

The key comes from ``ccctl voice pop --agent marie --sse-url BASE -t TENANT`` (only its SHA-256
is stored). Each call put through to the agent in this tenant is one event (``id`` = pop id, so
a browser's ``Last-Event-ID`` resumes where it stopped). Waiting uses the same follower as the
terminal (PostgreSQL NOTIFY, SQLite poll), in a thread; the stream ends after ``MAX_SECONDS``
(EventSource reconnects by itself) or when the page goes away.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import StreamingResponse

from ccctl.context import TenantContext
from ccctl_voice.models import VoicePopToken

MAX_SECONDS = 3600
TOKEN_HOURS = 12


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(ctx: TenantContext, agent: str, now: datetime) -> str:
    token = secrets.token_urlsafe(24)
    ctx.session.add(VoicePopToken(tenant_id=ctx.tenant.id, agent=agent, token_sha256=digest(token),
                                  expires_at=now + timedelta(hours=TOKEN_HOURS)))
    return token


async def pops(request: Request):
    from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

    from ccctl.db.models import utcnow
    from ccctl.output import to_json
    from ccctl.web.scope import tenant_scope
    from ccctl_voice.pop import follow

    agent, token = request.query_params.get("agent", ""), request.query_params.get("token", "")

    def check() -> tuple[str, int]:
        with tenant_scope(request, write=False) as ctx:
            found = ctx.session.scalar(select(VoicePopToken).where(
                VoicePopToken.token_sha256 == digest(token), VoicePopToken.tenant_id == ctx.tenant.id,
                VoicePopToken.agent == agent, VoicePopToken.expires_at > utcnow()))
            if found is None:
                raise HTTPException(403, "no such stream key (ccctl voice pop --agent NAME --sse-url ...)")
            return ctx.tenant.slug, ctx.tenant.id

    slug, _tenant_id = await run_in_threadpool(check)
    after = request.headers.get("last-event-id", "")
    gone, started = threading.Event(), time.monotonic()
    cards = follow(request.app.state.ccctl, agent, int(after) if after.isdigit() else _latest(request, agent),
                   stop=lambda: gone.is_set() or time.monotonic() - started > MAX_SECONDS)

    async def events():
        try:
            yield ": ccctl screen pop\n\n"
            async for card in iterate_in_threadpool(cards):
                if card["tenant"] == slug:
                    yield f"id: {card['pop']}\nevent: pop\ndata: {to_json(card, indent=None)}\n\n"
                if await request.is_disconnected():
                    break
        finally:
            gone.set()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _latest(request: Request, agent: str) -> int:
    from ccctl_voice.pop import last_id

    with request.app.state.ccctl.session() as session:
        return last_id(session, agent)
