"""The tenant YAML section `plugins.email`."""

from ccctl.config.model import PluginSection


class EmailConfig(PluginSection):
    """Settings of the email plugin for one tenant."""
