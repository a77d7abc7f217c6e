"""The tenant YAML section ``plugins.email``, validated on ``ccctl tenant apply``.

Example::

    plugins:
      email:
        enabled: true
        addresses: [support@voyages-lumiere.fr]
        imap: {host: imap.example.net, user: support, password: "${VL_IMAP_PASSWORD}"}
        smtp: {host: smtp.example.net, port: 587, starttls: true, user: support,
               password: "${VL_SMTP_PASSWORD}", from: "Voyages Lumière <support@voyages-lumiere.fr>"}
        ack:
          enabled: true
          max_per_sender_per_hour: 3
          templates:
            fr_FR: {subject: "Bien reçu [#{{ item.id }}]", body: "Bonjour {{ customer.name }}, ..."}
        auto_answer:                  # the FAQ answer mail (selfhelp decides when: its auto_answer)
          excerpt_chars: 400
          templates:
            fr: {subject: "{{ article.title }} [#{{ item.id }}]", body: "... {{ article.url }} ..."}
        sla: 24h
        canned:
          thanks: {body: "Merci {{ customer.name }} !"}
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from ccctl.config.model import PluginSection, Strict, parse_duration
from ccctl.config.secrets import is_reference


def _reference(value: str) -> str:
    if not is_reference(value):
        raise ValueError("must be a reference like ${ENV_VAR} or file:/path, never the password itself")
    return value


SecretRef = Annotated[str, AfterValidator(_reference)]


class MailTemplate(Strict):
    """A Jinja2 template (sandboxed): ``subject`` (optional for canned replies) and ``body``."""

    subject: str | None = None
    body: str

    @model_validator(mode="after")
    def _compiles(self) -> MailTemplate:
        from ccctl_email.templating import check_template

        for text in (self.subject, self.body):
            if text:
                check_template(text)
        return self


class ImapSettings(Strict):
    host: str
    port: int | None = Field(default=None, ge=1, le=65535, description="default 993 with ssl, else 143")
    user: str
    password: SecretRef
    folder: str = "INBOX"
    ssl: bool = True
    starttls: bool = False
    timeout: float = Field(default=60, gt=0)

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.ssl else 143)


class SmtpSettings(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True,
                              serialize_by_alias=True)

    host: str
    port: int | None = Field(default=None, ge=1, le=65535, description="default 465 with ssl, else 25")
    user: str | None = None
    password: SecretRef | None = None
    sender: str = Field(alias="from", description="From: of every outgoing mail")
    ssl: bool = False
    starttls: bool = False
    timeout: float = Field(default=60, gt=0)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        from email.utils import parseaddr

        if "@" not in parseaddr(value)[1]:
            raise ValueError(f"'{value}' is not an address like 'Name <support@example.fr>'")
        return value

    @property
    def effective_port(self) -> int:
        return self.port or (465 if self.ssl else 25)


class AckSettings(Strict):
    enabled: bool = False
    max_per_sender_per_hour: int = Field(default=3, ge=0)
    # Per locale (fr_FR, fr, en...); the built-in templates serve locales not listed here.
    templates: dict[str, MailTemplate] = {}


class AutoAnswerSettings(Strict):
    """The mail carrying an automatic FAQ answer (switched on by ``plugins.selfhelp.auto_answer``)."""

    # Per locale, like ack templates; extra variables: article.title, article.url, article.excerpt.
    templates: dict[str, MailTemplate] = {}
    excerpt_chars: int = Field(default=400, ge=0, le=5000, description="length of the article excerpt")


class EmailConfig(PluginSection):
    """Settings of the email plugin for one tenant."""

    # Our own addresses: mail from them is never acknowledged (no loops between tenants).
    addresses: list[str] = []
    imap: ImapSettings | None = None
    smtp: SmtpSettings | None = None
    ack: AckSettings = AckSettings()
    auto_answer: AutoAnswerSettings = AutoAnswerSettings()
    # Time to answer a new email thread (e.g. 24h); overrides the queue's SLA for email items.
    sla: str | None = None
    canned: dict[str, MailTemplate] = {}

    @field_validator("sla")
    @classmethod
    def _sla(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address:
                raise ValueError(f"'{address}' is not an email address")
        return [a.strip().lower() for a in value]

    @model_validator(mode="after")
    def _ack_needs_smtp(self) -> EmailConfig:
        if self.ack.enabled and self.smtp is None:
            raise ValueError("ack.enabled needs an 'smtp' section to send from")
        return self

    @property
    def sla_minutes(self) -> int | None:
        return parse_duration(self.sla) if self.sla else None


def email_config(tenant) -> EmailConfig:
    """The tenant's validated section (stored validated by ``tenant apply``; re-read here)."""
    from pydantic import ValidationError

    from ccctl.errors import ConfigError

    section: dict[str, Any] = tenant.plugin_config("email")
    try:
        return EmailConfig.model_validate(section)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(["plugins", "email", *map(str, err["loc"])])
        raise ConfigError(err["msg"].removeprefix("Value error, "), tenant.source or tenant.slug, None, key) from None
