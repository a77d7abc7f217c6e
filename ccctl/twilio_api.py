"""Helpers every Twilio-using plugin shares: a client that always has a timeout, and reading
the SDK's errors (legacy JSON, RFC 9457 problem details, list pages) into one shape.

The SDK is imported inside the functions: ``ccctl --help`` never loads it.
"""

from __future__ import annotations

import json

HTTP_TIMEOUT = 30.0  # seconds; Twilio answers within a few; a hung connection must not hang a command


def make_client(account_sid: str, auth_token: str, api_url: str | None = None, timeout: float = HTTP_TIMEOUT):
    """A ``twilio.rest.Client`` with a request timeout (``api_url``: a local test server)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    if api_url:
        client.api.base_url = api_url.rstrip("/")
    return client


def http_error(exc: Exception) -> tuple[int | None, int | None, str]:
    """(HTTP status, Twilio code, reason) of any SDK error: ``TwilioRestException``, the RFC 9457
    ``TwilioServiceException``, or the plain ``TwilioException("Unable to fetch page", response)``
    that list reads raise; (None, None, text) when no answer came back."""
    from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException

    if isinstance(exc, TwilioRestException):
        return exc.status, exc.code, f"Twilio {exc.code}: {exc.msg}"
    if isinstance(exc, TwilioServiceException):
        return exc.status, exc.code, f"Twilio {exc.code}: {exc.title}" + (f" ({exc.detail})" if exc.detail else "")
    if isinstance(exc, TwilioException):
        response = next((a for a in exc.args if hasattr(a, "status_code")), None)
        if response is not None:
            code = None
            try:
                code = int(json.loads(response.text).get("code"))
            except (ValueError, TypeError, AttributeError):
                pass
            return response.status_code, code, f"Twilio {code or 'error'} (HTTP {response.status_code}): {exc.args[0]}"
    return None, None, f"{type(exc).__name__}: {exc}"


def never_reached(exc: Exception) -> bool:
    """True when the request surely never reached the provider (refused, or no connection in time)."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return type(reason).__name__ in ("NewConnectionError", "NameResolutionError")
    return False
