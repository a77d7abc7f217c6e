"""Moved to :mod:`ccctl.testing.twilio_contract` (shipped with ccctl for plugin authors); kept for old imports."""

from ccctl.testing.twilio_contract import SPEC, check_request, check_response, check_server_log, enum

__all__ = ["SPEC", "check_request", "check_response", "check_server_log", "enum"]
