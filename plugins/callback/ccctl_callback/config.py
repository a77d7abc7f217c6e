"""The tenant YAML section `plugins.callback`.

Example::

    plugins:
      callback:
        enabled: true
        slot_minutes: 30          # length of one bookable slot
        capacity: 2               # call-backs agents can take per slot
        horizon_days: 14          # how far ahead a visitor may book
        min_lead: 30m             # earliest slot start from now
        max_attempts: 3           # no-answer retries before giving up
        retry_backoff: [30m, 2h]  # wait after the 1st, 2nd (and later) no-answer
        calling_hours:            # guard for calls made without the person's consent
          hours: {mon-fri: ["10:00-13:00", "14:00-20:00"]}
          on_holidays: false
          consent_overrides: true
        twilio:
          account_sid: ${TWILIO_ACCOUNT_SID}
          auth_token: ${TWILIO_AUTH_TOKEN}
          caller_id: "+33180000000"
        agent_phones: {marie: "+33612345678"}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ccctl.config.model import PluginSection, TenantConfig, parse_duration

# French rules (DESIGN.md): commercial calls Mon-Fri 10-13h and 14-20h, never on public holidays.
FRENCH_CALLING_HOURS = {"mon-fri": ["10:00-13:00", "14:00-20:00"]}


def _hours(value: dict) -> dict[str, list[str]]:
    # The tenant model already knows how to check and normalise business hours.
    return TenantConfig._hours(value)


class CallingHours(BaseModel):
    """When calls may be placed to someone who did not ask for one."""

    model_config = ConfigDict(extra="forbid", validate_default=True)
    hours: dict[str, list[str] | str] = Field(default_factory=lambda: dict(FRENCH_CALLING_HOURS))
    on_holidays: bool = False
    # A call-back request is the person's consent: its calls may go outside these hours
    # (still within the tenant's business hours).
    consent_overrides: bool = True

    @field_validator("hours")
    @classmethod
    def _check_hours(cls, value: dict) -> dict[str, list[str]]:
        return _hours(value)


class TwilioSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_sid: str = "${TWILIO_ACCOUNT_SID}"
    auth_token: str = "${TWILIO_AUTH_TOKEN}"
    caller_id: str | None = None
    # Where the REST API lives (a local Twilio-compatible server in tests).
    api_url: str | None = None


class CallbackConfig(PluginSection):
    """Settings of the callback plugin for one tenant."""

    queue: str | None = None
    slot_minutes: int = Field(default=30, ge=5, le=240)
    capacity: int = Field(default=2, ge=1, le=1000)
    horizon_days: int = Field(default=14, ge=0, le=365)
    min_lead: str = "15m"
    max_attempts: int = Field(default=3, ge=1, le=20)
    retry_backoff: list[str] = Field(default_factory=lambda: ["30m", "2h"], min_length=1)
    # Slot hours; default: the tenant's business_hours.
    hours: dict[str, list[str] | str] | None = None
    calling_hours: CallingHours = Field(default_factory=CallingHours)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    agent_phones: dict[str, str] = {}
    # Base URL Twilio reaches `ccctl serve` at (status callbacks), e.g. https://cc.example.fr
    public_url: str | None = None

    @field_validator("min_lead")
    @classmethod
    def _lead(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("retry_backoff", mode="before")
    @classmethod
    def _backoff(cls, value):
        items = [value] if isinstance(value, str | int) else list(value)
        for item in items:
            parse_duration(item)
        return [str(i) for i in items]

    @field_validator("hours")
    @classmethod
    def _slot_hours(cls, value):
        return None if value is None else _hours(value)

    @property
    def min_lead_minutes(self) -> int:
        return parse_duration(self.min_lead)

    def backoff_minutes(self, attempt: int) -> int:
        """Wait after the ``attempt``-th unanswered call (1-based); the last step repeats."""
        return parse_duration(self.retry_backoff[min(attempt, len(self.retry_backoff)) - 1])


def callback_config(tenant) -> CallbackConfig:
    return CallbackConfig.model_validate(tenant.plugin_config("callback"))

