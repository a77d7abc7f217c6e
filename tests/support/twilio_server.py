"""Moved to :mod:`ccctl.testing.twilio_server` (shipped with ccctl for plugin authors); kept for old imports."""

from ccctl.testing.twilio_server import API, ERRORS, Failure, Request, TwilioTestServer, new_sid, rfc2822

__all__ = ["API", "ERRORS", "Failure", "Request", "TwilioTestServer", "new_sid", "rfc2822"]
