"""Moved to :mod:`ccctl.testing.server` (shipped with ccctl for plugin authors); kept for old imports."""

from ccctl.testing.server import ServerURL, free_port, running_server, threaded_server

__all__ = ["ServerURL", "free_port", "running_server", "threaded_server"]
