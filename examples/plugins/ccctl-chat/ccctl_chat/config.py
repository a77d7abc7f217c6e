"""The plugin's section of a tenant's YAML, validated on `ccctl tenant apply`."""

from __future__ import annotations

from pydantic import Field

from ccctl.config.model import PluginSection


class ChatConfig(PluginSection):
    """``plugins: chat: {enabled: true, queue: web, max_length: 2000}``"""

    queue: str | None = Field(default=None, description="Queue for new conversations (default: routing decides).")
    max_length: int = Field(default=2000, ge=1, le=20000, description="Longest message accepted, in characters.")
