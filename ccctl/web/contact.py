"""The information-request form every tenant gets at /t/<tenant>/contact (filled in below)."""

from __future__ import annotations


def contact_routes():
    """(path, endpoint, methods, name) of the core tenant routes."""
    return []
