"""SASL XOAUTH2, as IMAP and SMTP servers of Microsoft and Google take it.

The client sends ``user=<mailbox>^Aauth=Bearer <token>^A^A``; a server refusing the token answers
with a base64 JSON challenge (``{"status": "401", "schemes": "bearer", "scope": "..."}``) that the
client must acknowledge with an empty line before the final NO / 535.
"""

from __future__ import annotations

import base64
import binascii
import json


def xoauth2(user: str, token: str) -> str:
    if any(c in user for c in "\x01\r\n") or any(c in token for c in "\x01\r\n "):
        raise ValueError("a user name or token with control characters cannot go in XOAUTH2")
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def refusal_reason(challenge: bytes | str | None) -> str:
    """What a server's XOAUTH2 error challenge says, in words (never raises: it is untrusted text)."""
    if not challenge:
        return "the server refused the token"
    raw = challenge.encode("ascii", "replace") if isinstance(challenge, str) else challenge
    try:
        decoded = json.loads(base64.b64decode(raw.strip(), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        try:
            decoded = json.loads(raw)  # imaplib hands over the challenge already decoded
        except (ValueError, UnicodeDecodeError):
            return "the server refused the token"
    if not isinstance(decoded, dict):
        return "the server refused the token"
    status = decoded.get("status")
    scope = decoded.get("scope")
    words = "the server refused the token"
    if isinstance(status, str | int) and not isinstance(status, bool):
        words += f" (status {str(status)[:10]})"
    if isinstance(scope, str) and scope.strip():
        words += f"; it wants scope {' '.join(scope.split())[:200]}"
    return "".join(c if c.isprintable() else "?" for c in words)
