"""What each uvicorn worker imports: rebuild the plugin manager and settings `ccctl serve` passed on."""

from __future__ import annotations

import json
import os

BLOCKED_ENV = "CCCTL_WEB_BLOCKED_PLUGINS"


def from_env():
    """ASGI app from the environment (``CCCTL_DATABASE_URL``, ``CCCTL_WEB_SETTINGS``, blocked plugins)."""
    from ccctl.context import App
    from ccctl.plugins import get_plugin_manager
    from ccctl.web.app import create_web_app
    from ccctl.web.settings import WebSettings

    pm = get_plugin_manager(disabled=json.loads(os.environ.get(BLOCKED_ENV) or "[]"))
    return create_web_app(App(pm), WebSettings.from_env())
