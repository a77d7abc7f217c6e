"""The tenant YAML section `plugins.sms`."""

from ccctl.config.model import PluginSection


class SmsConfig(PluginSection):
    """Settings of the sms plugin for one tenant."""
