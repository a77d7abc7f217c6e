"""The tenant YAML section ``plugins.voice``, validated on ``ccctl tenant apply``.

Example::

    plugins:
      voice:
        enabled: true
        numbers: ["+33180000001"]          # a call is matched to its tenant by the number dialled (To)
        account_sid: AC0123456789abcdef0123456789abcdef
        auth_token: ${VL_TWILIO_TOKEN}
        public_url: https://cc.example.fr  # where Twilio reaches `ccctl serve` (queue next connects calls)
        case_number: {digits: 7, check: luhn}   # 6-digit item id + 1 check digit
        menu:
          "1": {queue: reservations}
          "2": {queue: apres-vente, skills: [claims]}
        out_of_hours: voicemail            # or: callback (offer a call-back through the callback plugin)
        wait_music: https://cc.example.fr/static/attente.mp3
        recording: {enabled: false}
        texts:
          fr: {greeting: "Bienvenue chez Voyages Lumière."}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ccctl.config.model import SLUG, PluginSection, Strict, TenantConfig, parse_duration
from ccctl.config.secrets import is_reference
from ccctl.i18n import N_

# What the caller hears by default, in English (the msgids); the other languages come from the
# ccctl_voice catalogues (locale/<lang>/LC_MESSAGES), a tenant's ``texts`` override them.
# {placeholders} are filled in. A value starting with http(s):// is an audio file, played with <Play>.
DEFAULT_TEXTS = {
    "greeting": N_("Hello, thank you for calling."),
    "consent": N_("This call may be recorded for quality purposes."),
    "case_prompt": N_("If you have a case number, key it in now. Otherwise, please hold."),
    "case_invalid": N_("That case number was not recognised."),
    "menu": N_("For bookings, press 1. For anything else, please hold."),
    "wait": N_("You are number {position} in the queue. Expected wait: {minutes} minutes."),
    "callback_offer": N_("To be called back without losing your place, press {digit}."),
    "closed_callback_offer": N_("To be called back when we open, press {digit}."),
    "callback_done": N_("Thank you, we will call you back. Goodbye."),
    "callback_failed": N_("Call-backs are not available. Please hold."),
    "closed": N_("Our offices are closed."),
    "voicemail": N_("Please leave a message after the tone."),
    "thanks": N_("Thank you, your message has been recorded. Goodbye."),
    "whisper": N_("Call from {name}."),
    "whisper_case": N_("Case {digits}."),
    "goodbye": N_("Goodbye."),
    "web_code_prompt": N_("Key the code shown on our web site."),
    "web_code_invalid": N_("That code was not recognised."),
}
SAY_LANGUAGES = {"fr": "fr-FR", "en": "en-GB", "de": "de-DE", "es": "es-ES", "it": "it-IT", "nl": "nl-NL"}
E164 = r"^\+[1-9]\d{6,14}$"


def _reference(value: str) -> str:
    if not is_reference(value):
        raise ValueError("must be a reference like ${ENV_VAR} or file:/path, never the token itself")
    return value


class CaseNumber(Strict):
    """How callers key a case: the item id zero-padded, then check digit(s)."""

    digits: int = Field(default=7, ge=2, le=15)
    check: Literal["luhn", "mod97", "none"] = "luhn"

    @model_validator(mode="after")
    def _room(self) -> CaseNumber:
        if self.digits <= {"luhn": 1, "mod97": 2, "none": 0}[self.check]:
            raise ValueError(f"{self.digits} digits leave no room for the item id with check '{self.check}'")
        return self


class MenuChoice(Strict):
    queue: str | None = Field(default=None, pattern=SLUG)
    skills: list[str] = []


class Recording(Strict):
    enabled: bool = False  # off by default: recording needs the caller told (the consent text)


class VoiceConfig(PluginSection):
    """Settings of the voice plugin for one tenant."""

    numbers: list[Annotated[str, Field(pattern=E164)]] = Field(min_length=1)
    account_sid: str | None = Field(default=None, pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: Annotated[str, AfterValidator(_reference)] = "${TWILIO_AUTH_TOKEN}"
    api_url: str | None = Field(default=None, description="Twilio API base URL (a local test server)")
    public_url: str | None = Field(default=None, pattern=r"^https?://[^/\s]+(/\S*)?$")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$", description="default: the tenant's locale")
    texts: dict[str, dict[str, str]] = {}
    case_number: CaseNumber = CaseNumber()
    menu: dict[Annotated[str, Field(pattern=r"^[0-9]$")], MenuChoice] = {}
    default_queue: str | None = Field(default=None, pattern=SLUG)  # when nothing is keyed: routing decides
    hours: dict[str, list[str] | str] | None = None  # default: the tenant's business_hours
    out_of_hours: Literal["voicemail", "callback"] = "voicemail"
    wait_music: str | None = Field(default=None, pattern=r"^https?://\S+$")
    recording: Recording = Recording()
    owner_ring_seconds: int = Field(default=20, ge=5, le=120)  # the case owner's phone rings this long
    sticky: str = "5m"  # how long a call waits for its busy case owner before anyone may take it
    owner_priority_boost: int = Field(default=10, ge=0, le=100)
    callback_digit: str | None = Field(default="1", pattern=r"^[0-9*#]$")
    seconds_per_caller: int = Field(default=120, ge=10, le=3600)  # expected wait before any call is measured
    voicemail_seconds: int = Field(default=120, ge=5, le=3600)
    # Partner attribution: the key that asks for the code a web page showed (null: no such code).
    web_code_key: str | None = Field(default="*", pattern=r"^[0-9*#]$")
    web_code_digits: int = Field(default=6, ge=4, le=10)
    web_code_minutes: int = Field(default=120, ge=5, le=10080)

    @field_validator("sticky")
    @classmethod
    def _sticky(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value):
        return None if value is None else TenantConfig._hours(value)

    @field_validator("texts")
    @classmethod
    def _texts(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        known = set(DEFAULT_TEXTS)
        for language, texts in value.items():
            unknown = set(texts) - known
            if unknown:
                raise ValueError(f"texts.{language}: unknown key(s) {', '.join(sorted(unknown))} "
                                 f"(known: {', '.join(sorted(known))})")
        return value

    @property
    def sticky_seconds(self) -> int:
        return parse_duration(self.sticky) * 60

    def text(self, language: str, key: str, **values) -> str:
        text = self.texts.get(language, {}).get(key)
        if text is None:
            from ccctl.i18n import translator

            text = translator(language, "ccctl_voice").gettext(DEFAULT_TEXTS[key])
        return text.format(**values) if values else text


_VALIDATED: dict[tuple, VoiceConfig] = {}


def voice_config(tenant) -> VoiceConfig:
    # Every webhook needs it; the section changes only with `tenant apply` (updated_at moves).
    key = (tenant.id, tenant.updated_at)
    found = _VALIDATED.get(key)
    if found is None:
        if len(_VALIDATED) > 256:
            _VALIDATED.clear()
        found = _VALIDATED[key] = VoiceConfig.model_validate(tenant.plugin_config("voice"))
    return found


def enabled_voice_config(tenant) -> VoiceConfig:
    """The tenant's voice settings; a clear error when the plugin is off or its section is broken."""
    from pydantic import ValidationError

    from ccctl.errors import CcctlError

    if "voice" not in tenant.enabled_plugins():
        raise CcctlError(f"the voice plugin is not enabled for tenant {tenant.slug} (plugins.voice.enabled)")
    try:
        return voice_config(tenant)
    except ValidationError as exc:
        raise CcctlError(f"tenant {tenant.slug}: plugins.voice is not valid ({exc.errors()[0]['msg']}); "
                         "fix the YAML and run ccctl tenant apply") from None


def language_of(tenant, cfg: VoiceConfig) -> str:
    return cfg.language or (tenant.config.get("locale") or "fr_FR")[:2]
