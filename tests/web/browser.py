"""Kept for imports written before the browser helpers moved to tests/support/browser.py."""

from support.browser import CHROMIUM, CHROMIUM_ARGS, client_site, launch  # noqa: F401
