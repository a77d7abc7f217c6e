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


@dataclass
class ContactForm:
    name: str = ""
    email: str = ""
    phone: str = ""
    message: str = ""
    referral_code: str = ""
    page: str = ""
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
