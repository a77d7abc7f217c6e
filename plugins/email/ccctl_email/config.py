"""The tenant YAML section ``plugins.email``, validated on ``ccctl tenant apply``.

Example::

    plugins:
      email:
        enabled: true
        addresses: [support@voyages-lumiere.fr]
        imap: {host: imap.example.net, user: support, password: "${VL_IMAP_PASSWORD}"}
        smtp: {host: smtp.example.net, port: 587, starttls: true, user: support,
               password: "${VL_SMTP_PASSWORD}", from: "Voyages Lumière <support@voyages-lumiere.fr>"}
        # a dry run: smtp: {backend: file, folder: ~/ccctl-mail, from: "..."} (or backend: console)
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
        auto_replies: history         # out-of-office replies: history only (or queue)
        canned:
          thanks: {body: "Merci {{ customer.name }} !"}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from ccctl.config.model import PluginSection, Strict, parse_duration
from ccctl.config.secrets import is_reference


def _reference(value: str) -> str:
    if not is_reference(value):
        raise ValueError("must be a reference like ${ENV_VAR} or file:/path, never the password itself")
    return value


SecretRef = Annotated[str, AfterValidator(_reference)]


# Where each provider's endpoints are, and the scopes it documents for IMAP and SMTP.
# Microsoft: learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth
# Google: developers.google.com/gmail/imap/xoauth2-protocol (one scope covers IMAP and SMTP).
MICROSOFT_LOGIN = "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0"
PROVIDER_ENDPOINTS = {
    "microsoft": {"token": MICROSOFT_LOGIN + "/token", "device": MICROSOFT_LOGIN + "/devicecode",
                  "authorization": MICROSOFT_LOGIN + "/authorize"},
    "google": {"token": "https://oauth2.googleapis.com/token", "device": "https://oauth2.googleapis.com/device/code",
               "authorization": "https://accounts.google.com/o/oauth2/v2/auth"},
}
PROVIDER_SCOPES = {
    ("microsoft", "device_code"): {"imap": ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"],
                                   "smtp": ["https://outlook.office.com/SMTP.Send", "offline_access"]},
    ("microsoft", "client_credentials"): {"imap": ["https://outlook.office365.com/.default"],
                                          "smtp": ["https://outlook.office365.com/.default"]},
    ("microsoft", "authorization_code"): {"imap": ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"],
                                          "smtp": ["https://outlook.office.com/SMTP.Send", "offline_access"]},
    ("google", "authorization_code"): {"imap": ["https://mail.google.com/"], "smtp": ["https://mail.google.com/"]},
    ("google", "service_account"): {"imap": ["https://mail.google.com/"], "smtp": ["https://mail.google.com/"]},
}
# Flows where no person consents: an admin granted the application (Microsoft) or the service
# account's domain-wide delegation (Google); no refresh token, a new token is fetched when due.
APPLICATION_FLOWS = ("client_credentials", "service_account")


def _endpoint(value: str | None) -> str | None:
    """HTTPS, or plain HTTP to a loopback address only (RFC 8252's rule, as Authlib applies it): tests
    point every endpoint at a local server and production keeps TLS."""
    from urllib.parse import urlsplit

    from authlib.common.security import is_secure_transport

    if value is None:
        return value
    if "@" in urlsplit(value).netloc:
        raise ValueError("no user or password in the address: the client secret goes in client_secret")
    if not is_secure_transport(value):
        raise ValueError(f"'{value}' must be an https:// URL (plain http only to 127.0.0.1 or localhost)")
    return value


Endpoint = Annotated[str, AfterValidator(_endpoint)]


class OAuth2Settings(Strict):
    """How ccctl gets an access token for a mailbox (IMAP or SMTP ``auth: oauth2``)."""

    provider: Literal["microsoft", "google", "generic"]
    tenant_id: str | None = Field(default=None, description="microsoft: the Entra directory (tenant) id or domain")
    # device_code / authorization_code: a mailbox user consents once (`ccctl email auth login`);
    # Google allows only authorization_code for its mail scope (its device flow refuses it).
    # client_credentials: the application's own permission, granted by an admin (no user, no refresh token).
    # service_account (google): a service account with domain-wide delegation acts as the mailbox's user.
    flow: Literal["device_code", "authorization_code", "client_credentials", "service_account"] | None = None
    authorization_url: Endpoint | None = None           # generic authorization_code
    client_id: str | None = None                        # service_account: taken from the key file
    client_secret: SecretRef | None = None
    service_account_key: SecretRef | None = Field(
        default=None, description="service_account: the JSON key file, as file:/path or ${ENV_VAR} holding its text")
    subject: str | None = Field(default=None, description="service_account: the user to act as (default: user)")
    token_url: Endpoint | None = None                   # generic, or to override a preset
    device_authorization_url: Endpoint | None = None
    scopes: list[str] | None = None                     # default: what the provider documents
    timeout: float = Field(default=30, gt=0, le=300, description="seconds per HTTP call")
    refresh_before: int = Field(default=300, ge=0, le=3000, description="seconds before expiry to refresh")

    @model_validator(mode="after")
    def _complete(self) -> OAuth2Settings:
        if self.flow is None:
            self.flow = "authorization_code" if self.provider == "google" else "device_code"
        if self.provider == "google" and self.flow == "device_code":
            raise ValueError("google refuses its mail scope in the device flow: use flow: authorization_code")
        if self.provider == "generic" and self.flow == "authorization_code" and not self.authorization_url:
            raise ValueError("provider generic with flow authorization_code needs authorization_url")
        if self.provider == "microsoft" and not self.tenant_id:
            raise ValueError("provider microsoft needs tenant_id (the Entra directory id or the domain)")
        if self.provider == "generic" and not self.token_url:
            raise ValueError("provider generic needs token_url")
        if self.flow == "service_account":
            self._check_service_account()
        elif self.service_account_key is not None or self.subject is not None:
            raise ValueError("service_account_key and subject belong to flow: service_account")
        elif not self.client_id:
            raise ValueError(f"flow {self.flow} needs client_id (the application's id at the provider)")
        if self.flow == "client_credentials":
            if self.provider == "google":
                raise ValueError("google has no client_credentials flow for mail: use flow: service_account "
                                 "(a service account with domain-wide delegation)")
            if self.client_secret is None:
                raise ValueError("flow client_credentials needs client_secret (a reference like ${ENV_VAR})")
        elif self.provider == "generic" and self.flow == "device_code" and not self.device_authorization_url:
            raise ValueError("provider generic with flow device_code needs device_authorization_url")
        if self.provider == "generic" and not self.scopes:
            raise ValueError("provider generic needs scopes")
        return self

    def _check_service_account(self) -> None:
        if self.provider != "google":
            raise ValueError("flow service_account is Google's (a service account key): for microsoft "
                             "use flow: client_credentials")
        if self.service_account_key is None:
            raise ValueError("flow service_account needs service_account_key: file:/path/to/key.json or "
                             "${ENV_VAR} holding the service account's JSON key")
        if self.client_secret is not None:
            raise ValueError("flow service_account signs with its key file: remove client_secret")

    @property
    def person_consents(self) -> bool:
        """A person logs in once (device or authorization code); else an admin's grant is enough."""
        return self.flow not in APPLICATION_FLOWS

    @property
    def credential_id(self) -> str:
        """What identifies the credential a token belongs to (with the mailbox and token endpoint)."""
        if self.flow == "service_account":
            return f"{self.client_id or self.service_account_key}|{self.subject or ''}"
        return self.client_id or ""

    def endpoint(self, kind: str) -> str:
        """``token``, ``device`` or ``authorization``: the configured address, else the provider's."""
        own = {"token": self.token_url, "device": self.device_authorization_url,
               "authorization": self.authorization_url}[kind]
        return own or PROVIDER_ENDPOINTS[self.provider][kind].format(tenant_id=self.tenant_id)

    @property
    def effective_token_url(self) -> str:
        return self.endpoint("token")

    def scopes_for(self, protocol: str) -> list[str]:
        return list(self.scopes or PROVIDER_SCOPES[(self.provider, self.flow)][protocol])


def _check_auth(settings, protocol: str):
    """``auth: password`` needs a password (IMAP) and no oauth2 block; ``auth: oauth2`` the reverse."""
    if settings.auth == "oauth2":
        if settings.oauth2 is None:
            raise ValueError("auth: oauth2 needs an 'oauth2' block (provider, client_id...)")
        if settings.password is not None:
            raise ValueError("auth: oauth2 takes no password (remove it, or use auth: password)")
        if not settings.user:
            raise ValueError("auth: oauth2 needs 'user': the mailbox address")
    else:
        if settings.oauth2 is not None:
            raise ValueError("an 'oauth2' block needs auth: oauth2")
        if protocol == "imap" and settings.password is None:
            raise ValueError("auth: password needs 'password' (a reference like ${ENV_VAR})")
    return settings


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
    auth: Literal["password", "oauth2"] = "password"
    password: SecretRef | None = None
    oauth2: OAuth2Settings | None = None
    folder: str = "INBOX"
    ssl: bool = True
    starttls: bool = False
    timeout: float = Field(default=60, gt=0)

    @model_validator(mode="after")
    def _auth_settings(self) -> ImapSettings:
        return _check_auth(self, "imap")

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.ssl else 143)


class SmtpSettings(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True,
                              serialize_by_alias=True)

    # smtp: send through ``host``; console: print each mail on stderr; file: write each as an .eml
    # file into ``folder``. Dry runs (console, file) mark mail sent and send nothing.
    backend: Literal["smtp", "console", "file"] = "smtp"
    folder: str | None = Field(default=None, description="file backend: the folder the .eml files go to")
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535, description="default 465 with ssl, else 25")
    user: str | None = None
    auth: Literal["password", "oauth2"] = "password"
    password: SecretRef | None = None
    oauth2: OAuth2Settings | None = None
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

    @model_validator(mode="after")
    def _auth_settings(self) -> SmtpSettings:
        if self.backend == "smtp" and not self.host:
            raise ValueError("backend smtp needs 'host' (or backend: console / file for a dry run)")
        if self.backend == "file" and not self.folder:
            raise ValueError("backend file needs 'folder': where the .eml files are written")
        if self.backend != "file" and self.folder:
            raise ValueError("'folder' is for backend: file only")
        return _check_auth(self, "smtp")

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
    # Out-of-office and other automatic replies (ccctl_email.autoreply): "history" records them
    # in the sender's history with no queue item; "queue" treats them as any mail.
    auto_replies: Literal["history", "queue"] = "history"

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
