"""ASGI middleware guarding every request: a body size limit (413) and a per-IP rate limit (429)."""

from __future__ import annotations

import math
import time

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse

from ccctl.web.pages import harden
from ccctl.web.proxy import client_ip
from ccctl.web.settings import WebSettings

UNLIMITED_PATHS = ("/health",)


class BodyLimit:
    """Refuse bodies over ``max_body_bytes``: at once from Content-Length, else while streaming."""

    def __init__(self, app, settings: WebSettings) -> None:
        self.app, self.limit = app, settings.max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await _too_large(self.limit)(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"request body over {self.limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def _too_large(limit: int) -> PlainTextResponse:
    return harden(PlainTextResponse(f"request body over {limit} bytes", status_code=413,
                                    headers={"Connection": "close"}))


class RateLimit:
    """At most ``rate_limit`` requests per client IP per ``rate_window`` seconds (fixed windows).

    Counters live in this worker's memory: cheap, and a flood is cut within one window; with
    N workers an IP may get up to N times the limit, which still stops a flood.
    """

    def __init__(self, app, settings: WebSettings) -> None:
        self.app, self.settings = app, settings
        self.window_start = time.monotonic()
        self.counts: dict[str, int] = {}

    async def __call__(self, scope, receive, send):
        limit = self.settings.rate_limit
        if scope["type"] != "http" or not limit or scope["path"] in UNLIMITED_PATHS:
            return await self.app(scope, receive, send)
        now = time.monotonic()
        if now - self.window_start >= self.settings.rate_window:
            self.window_start, self.counts = now, {}
        ip = client_ip(scope, self.settings)
        self.counts[ip] = count = self.counts.get(ip, 0) + 1
        if count > limit:
            retry = max(1, math.ceil(self.settings.rate_window - (now - self.window_start)))
            response = harden(PlainTextResponse("too many requests, slow down", status_code=429,
                                                headers={"Retry-After": str(retry)}))
            return await response(scope, receive, send)
        await self.app(scope, receive, send)
