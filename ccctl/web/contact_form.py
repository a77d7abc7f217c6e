"""Reading and checking the information-request form: values back, or an error per field."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from ccctl.contacts import normalize_email, normalize_phone
from ccctl.errors import InputError
from ccctl.i18n import N_

REFERRAL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")
MAX_NAME, MAX_MESSAGE, MAX_PAGE = 200, 5000, 500
MAX_ADDRESS = 200
ADDRESS_FIELDS = ("address", "postcode", "city")


@dataclass
class ContactForm:
    name: str = ""
    email: str = ""
    phone: str = ""
    message: str = ""
    referral_code: str = ""
    page: str = ""
    # A document asked for (offered by a plugin through ccctl_contact_form_documents) and where to post it.
    brochure: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    submission_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Normalised contact points, set by validate().
    email_value: str | None = None
    phone_value: str | None = None


def clean_referral(value: str | None) -> str:
    """A referral code as given, or '' when it is not one (never trust what is in a URL or cookie)."""
    value = (value or "").strip()
    return value if REFERRAL.match(value) else ""


def read_form(data: Mapping[str, str], referral_code: str) -> ContactForm:
    def text(key: str) -> str:
        value = data.get(key, "")
        return value.strip() if isinstance(value, str) else ""

    submission = text("submission_id").lower()
    return ContactForm(
        name=text("name"), email=text("email"), phone=text("phone"), message=text("message"),
        referral_code=clean_referral(text("ref")) or referral_code,
        page=text("page")[:MAX_PAGE],
        brochure=text("brochure"), address=text("address"), postcode=text("postcode"), city=text("city"),
        submission_id=submission if SUBMISSION.match(submission) else uuid.uuid4().hex,
    )


def validate(form: ContactForm, region: str) -> dict[str, str]:
    """Error message per field name (empty when the form is fine); fills the normalised values.
    The messages are English :class:`ccctl.i18n.Text`, shown translated by the page."""
    errors: dict[str, str] = {}
    if not form.name:
        errors["name"] = N_("Please give your name.")
    elif len(form.name) > MAX_NAME:
        errors["name"] = N_("Your name must be at most %(max)d characters.", max=MAX_NAME)
    if form.email:
        try:
            form.email_value = normalize_email(form.email)
        except InputError:
            errors["email"] = N_("This is not a valid email address.")
    if form.phone:
        try:
            form.phone_value = normalize_phone(form.phone, region)
        except InputError:
            errors["phone"] = N_("This is not a valid phone number.")
    if not form.email and not form.phone:
        errors["email"] = N_("Please give an email address or a phone number.")
    if not form.message:
        errors["message"] = N_("Please write your message.")
    elif len(form.message) > MAX_MESSAGE:
        errors["message"] = N_("Your message must be at most %(max)d characters.", max=MAX_MESSAGE)
    return errors


def validate_document(form: ContactForm, documents: list[dict[str, str]]) -> dict[str, str]:
    """Errors of the document part: one of ``documents`` (what the tenant's plugins offer) or none; a
    document sent by post, or to a visitor who gave no e-mail address, needs a postal address."""
    errors: dict[str, str] = {}
    for key in ADDRESS_FIELDS:
        if len(getattr(form, key)) > MAX_ADDRESS:
            errors[key] = N_("At most %(max)d characters.", max=MAX_ADDRESS)
    if not form.brochure:
        return errors
    chosen = next((d for d in documents if d.get("name") == form.brochure), None)
    if chosen is None:
        errors["brochure"] = N_("This document is not offered: please choose one from the list.")
    elif (chosen.get("send_by") == "post" or not form.email) and not all(getattr(form, k) for k in ADDRESS_FIELDS):
        errors["address"] = N_("Please give your postal address, postcode and city: this document is sent by post.")
    return errors


def document_attributes(form: ContactForm, language: str) -> dict[str, str]:
    """Item attributes of a valid form's document request (none when no document was asked for)."""
    if not form.brochure:
        return {}
    return {"brochure": form.brochure, "language": language,
            **{key: getattr(form, key) for key in ADDRESS_FIELDS if getattr(form, key)}}
