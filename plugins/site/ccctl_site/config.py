"""The tenant YAML section ``plugins.site``, validated on ``ccctl tenant apply``.

Example::

    plugins:
      site:
        enabled: true
        secrets: ["${VL_SITE_KEY}", "${VL_SITE_KEY_OLD}"]   # the events API accepts either (rotation)
        max_event_bytes: 32768
        max_clock_skew: 5m                 # a signed request older (or newer) than this is refused
        create_items: [pre_reservation, quote, info_request]   # event types that make a queue item
        webhooks:
          - name: crm
            url: https://crm.example.fr/hooks/ccctl
            secret: "${VL_CRM_HOOK_KEY}"
            events: [item.created, item.closed]   # default: every event
            timeout: 10
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from ccctl.config.model import PluginSection, parse_duration
from ccctl.config.secrets import is_reference

EVENT_TYPES = ("pre_reservation", "order", "quote", "page_view", "info_request")
# What outbound webhooks carry (docs/integration.md lists their payloads).
OUTBOUND_EVENTS = ("item.created", "item.assigned", "item.answered", "item.closed",
                   "callback.booked", "callback.done", "sms.delivered", "sms.failed")


def _reference(value: str) -> str:
    if not is_reference(value):
        raise ValueError("must be a reference like ${ENV_VAR} or file:/path, never the key itself")
    return value


SecretRef = Annotated[str, AfterValidator(_reference)]


def only_known(value: list[str], known: tuple[str, ...], what: str) -> list[str]:
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ValueError(f"unknown {what} {unknown[0]!r} (known: {', '.join(known)})")
    return value


class Webhook(BaseModel):
    """One receiver of outbound events."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", description="Shown in `ccctl webhooks list`.")
    url: str = Field(pattern=r"^https?://\S+$", max_length=500)
    secret: SecretRef = Field(description="Signs each delivery (X-Ccctl-Signature).")
    events: list[str] = Field(default=list(OUTBOUND_EVENTS), description="Which events this URL receives.")
    timeout: float = Field(default=10.0, gt=0, le=60, description="Seconds per delivery attempt.")
    retry_backoff: float = Field(default=30.0, ge=0, le=3600,
                                 description="Seconds before the first retry; doubles each time (at most 6 h).")

    @field_validator("events")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return only_known(value, OUTBOUND_EVENTS, "event")


class SiteConfig(PluginSection):
    """Settings of the site plugin for one tenant: the inbound events API and outbound webhooks."""

    secrets: list[SecretRef] = Field(default=[], max_length=2,
                                     description="HMAC keys of the events API: the current one and, "
                                     "while rotating, the previous one.")
    max_event_bytes: int = Field(default=32_768, ge=256, le=1_048_576)
    max_clock_skew: str = Field(default="5m", description="How far a request's timestamp may be from now.")
    create_items: list[str] = Field(default=["pre_reservation", "quote", "info_request"],
                                    description="Event types that create a queue item (routed by the tenant's rules).")
    context_events: int = Field(default=5, ge=1, le=50, description="How many site events the screen shows.")
    webhooks: list[Webhook] = []

    @field_validator("max_clock_skew")
    @classmethod
    def _skew(cls, value: str) -> str:
        if parse_duration(value) <= 0:
            raise ValueError(f"'{value}' must be longer than zero")
        return value

    @field_validator("create_items")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        return only_known(value, EVENT_TYPES, "event type")

    @field_validator("webhooks")
    @classmethod
    def _unique(cls, value: list[Webhook]) -> list[Webhook]:
        names = [w.name for w in value]
        if len(set(names)) != len(names):
            raise ValueError("webhook names must be unique")
        return value


def site_config(tenant) -> SiteConfig:
    """Validated once per distinct section (every event asks): treat it as read-only."""
    return SiteConfig.of(tenant, "site")
