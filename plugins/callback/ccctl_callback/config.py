"""The tenant YAML section `plugins.callback`."""

from ccctl.config.model import PluginSection


class CallbackConfig(PluginSection):
    """Settings of the callback plugin for one tenant."""
