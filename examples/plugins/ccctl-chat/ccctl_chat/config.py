"""The plugin's section of a tenant's YAML, validated on `ccctl tenant apply`."""

from __future__ import annotations

from pydantic import Field

from ccctl.config.model import PluginSection


class ChatConfig(PluginSection):
    """``plugins: chat: {enabled: true, queue: web, max_length: 2000, alert_sms: "+33612345678"}``"""

    queue: str | None = Field(default=None, description="Queue for new conversations (default: routing decides).")
    max_length: int = Field(default=2000, ge=1, le=20000, description="Longest message accepted, in characters.")
    alert_sms: str | None = Field(
        default=None, pattern=r"^\+[1-9]\d{6,14}$",
        description="E.164 number texted when a conversation opens, through whichever plugin sends the tenant's "
                    "notifications (ccctl's sms plugin: template chat_alert with {{ visitor }} and {{ text }}).")
