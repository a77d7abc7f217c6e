"""The tenant YAML section `plugins.selfhelp`."""

from ccctl.config.model import PluginSection


class SelfhelpConfig(PluginSection):
    """Settings of the selfhelp plugin for one tenant."""
