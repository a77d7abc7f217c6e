"""HMAC signatures, one scheme both ways (the events API checks them, outbound webhooks carry them).

Header ``X-Ccctl-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256(key, ``"<t>." + raw body``). Signing the timestamp with the body lets the
receiver refuse an old request replayed later; several ``v1=`` may be given.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Ccctl-Signature"


class BadSignature(ValueError):
    """Why a request's signature is refused (said to the sender: it holds no secret)."""


def sign(key: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value signing ``body`` with ``key`` at ``timestamp`` (default: now)."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={stamp},v1={_digest(key, stamp, body)}"


def verify(keys: list[str], header: str | None, body: bytes, max_skew: float, now: float | None = None) -> int:
    """The signed timestamp when ``header`` signs ``body`` with one of ``keys`` within ``max_skew``
    seconds of ``now``; else :class:`BadSignature`."""
    if not header:
        raise BadSignature(f"missing {HEADER} header")
    stamp, digests = _parse(header)
    now = time.time() if now is None else now
    if abs(now - stamp) > max_skew:
        raise BadSignature(f"timestamp {stamp} is more than {int(max_skew)} s away from now (replayed, or a clock off)")
    expected = [_digest(key, stamp, body) for key in keys if key]
    if not any(hmac.compare_digest(e, d) for e in expected for d in digests):
        raise BadSignature("signature does not match")
    return stamp


def _digest(key: str, stamp: int, body: bytes) -> str:
    return hmac.new(key.encode(), str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[int, list[str]]:
    stamp, digests = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) <= 12:
            stamp = int(value)
        elif name == "v1" and value:
            digests.append(value.strip().lower())
    if stamp is None or not digests:
        raise BadSignature(f"{HEADER} must look like t=<unix seconds>,v1=<hex HMAC-SHA256>")
    return stamp, digests
