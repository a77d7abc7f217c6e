"""The tenant YAML section ``plugins.fulfil``, validated on ``ccctl tenant apply``.

Example::

    plugins:
      fulfil:
        enabled: true
        default_language: fr
        queue: brochures                 # items routed here are information requests (e.g. e-mails)
        documents:
          japon:                         # item close --send brochure:japon
            title: Circuit Japon
            products: [Circuit Japon, Japon]     # a request naming one of these gets this document
            files: {fr: /srv/brochures/japon-fr.pdf, en: /srv/brochures/japon-en.pdf}
            send_by: email               # email (attached) | post (mailing batch for the print house)
        email:
          subject: "Votre brochure {{ title }}"
          body: "Bonjour {{ name }},\\n\\nVoici la brochure {{ title }} que vous avez demandée."
        follow_up:
          after_business_days: 3         # in the tenant's business hours, skipping holidays
          queue: rappels
          cancel_on_contact: true        # the customer got in touch meanwhile: no follow-up call
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ccctl.config.model import PluginSection
from ccctl.i18n import N_

NAME = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Document(_Strict):
    title: str = Field(min_length=1, max_length=200)
    products: list[str] = Field(default=[], description="Product names that ask for this document.")
    files: dict[str, str] = Field(min_length=1, description="Language → path of the PDF.")
    send_by: Literal["email", "post"] = "email"

    @field_validator("files")
    @classmethod
    def _pdfs(cls, value: dict[str, str]) -> dict[str, str]:
        for language, path in value.items():
            if not path.lower().endswith(".pdf"):
                raise ValueError(f"files.{language}: '{path}' is not a .pdf path")
        return value


# The product's default mail body (a Jinja template), in the tenant's language from the ccctl_fulfil
# catalogues; a tenant's ``email.body`` replaces it as written.
DEFAULT_BODY = N_("Hello {{ name }},\n\nPlease find attached the brochure “{{ title }}” you asked for.\n")


class EmailTemplate(_Strict):
    subject: str = "{{ title }}"
    body: str | None = Field(default=None, description="Default: DEFAULT_BODY in the tenant's language.")

    def body_for(self, locale: str | None) -> str:
        """The body template: the tenant's own, else the product's default in the tenant's language."""
        from ccctl.i18n import translate, translator

        return self.body if self.body is not None else translate(DEFAULT_BODY, translator(locale, "ccctl_fulfil"))

    @field_validator("subject", "body")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        from ccctl_fulfil.render import check_template

        if value is not None:
            check_template(value)
        return value


class FollowUp(_Strict):
    after_business_days: int = Field(default=3, ge=0, le=60)
    queue: str | None = Field(default=None, description="Default: the tenant's routing rules decide.")
    cancel_on_contact: bool = True


class FulfilConfig(PluginSection):
    """Settings of the fulfil plugin for one tenant."""

    documents: dict[str, Document] = {}
    default_language: str = Field(default="fr", pattern=r"^[a-z]{2}$")
    queue: str | None = Field(default=None, description="Items routed here are information requests.")
    email: EmailTemplate = EmailTemplate()
    follow_up: FollowUp | None = FollowUp()

    @field_validator("documents")
    @classmethod
    def _names(cls, value: dict[str, Document]) -> dict[str, Document]:
        import re

        for name in value:
            if not re.match(NAME, name):
                raise ValueError(f"document name '{name}' must be lower-case letters, digits, - or _")
        return value


def fulfil_config(tenant) -> FulfilConfig:
    return FulfilConfig.model_validate(tenant.plugin_config("fulfil"))
