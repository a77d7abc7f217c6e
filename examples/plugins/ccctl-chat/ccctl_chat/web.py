"""``POST /t/<tenant>/chat/messages``: the website's chat widget sends ``{"visitor": ..., "text": ...}``."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ccctl.errors import CcctlError, InputError
from ccctl.web.scope import tenant_scope


def receive_message(request: Request) -> JSONResponse:
    """A plain ``def`` endpoint: Starlette runs it in a thread, so the blocking database work is fine."""
    from ccctl_chat.store import receive

    try:
        payload = json.loads(request.state.body or b"null")
    except ValueError:
        raise HTTPException(400, "send a JSON object: {\"visitor\": ..., \"text\": ...}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("visitor"), str) \
            or not isinstance(payload.get("text"), str):
        raise HTTPException(400, "send a JSON object with string keys 'visitor' and 'text'")
    try:
        with tenant_scope(request) as ctx:     # commit on success, roll back on any error
            message, opened = receive(ctx, payload["visitor"], payload["text"])
            answer = {"message": message.id, "item": message.item_id, "new_conversation": opened}
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None
    except CcctlError as exc:
        raise HTTPException(409, str(exc)) from None
    return JSONResponse(answer, status_code=201 if opened else 200)
