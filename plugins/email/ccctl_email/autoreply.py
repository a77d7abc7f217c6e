"""Is this incoming mail an out-of-office or other automatic reply? (Then it goes to the customer's
history, not the queue: see docs/email.md "Out-of-office replies".)

Strong signs, each enough alone: ``Auto-Submitted: auto-replied`` (RFC 3834; ``auto-notified``,
RFC 5436, too), ``X-Autoreply``/``X-Autorespond``/``X-Autoresponder`` (vacation programs,
cPanel, Zimbra...), ``Precedence: auto_reply``, or a subject that *is* an auto-reply's: a known
prefix followed by a colon ("Automatic reply: ...", "Réponse automatique : ...",
"Abwesenheitsnotiz: ..."), or the phrase alone ("Out of office", "Absence du bureau"; not
"Absence" alone, which a customer may write).

Weak signs, enough only together with a subject *starting* with such a phrase: ``Precedence:
bulk`` or ``junk``, an empty ``Return-Path`` and ``X-MS-Exchange-Inbox-Rules-Loop`` (Exchange
marks with it whatever an inbox rule sent or forwarded, a customer's forwarded mail included:
never a sign alone). ``X-Auto-Response-Suppress`` is no sign at all: it asks *us* not to
answer, and Outlook puts it on ordinary mail. A customer writing "Absence de réponse à ma
réclamation" or "Out of office hours: can I call?" is a customer.

``Auto-Submitted: auto-generated`` (notifications, bounces) is not an auto-reply: such mail
keeps its current path (no acknowledgement, an item).
"""

from __future__ import annotations

import re
import unicodedata

STRONG_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
WEAK_PRECEDENCE = ("bulk", "junk")

# Subjects auto-responders write, lower-case, accents kept (compared after NFC normalising).
PHRASES = (
    "automatic reply", "auto reply", "auto-reply", "autoreply", "auto response", "auto-response",
    "autoresponse", "out of office", "out of the office", "ooo", "away from the office",
    "réponse automatique", "reponse automatique", "absence du bureau", "absent du bureau",
    "absence", "message d'absence",
    "abwesenheit", "abwesenheitsnotiz", "automatische antwort", "automatische antwort abwesenheit",
    "respuesta automática", "respuesta automatica", "fuera de la oficina",
    "risposta automatica", "fuori sede", "fuori ufficio",
    "automatisch antwoord", "afwezig",
)
# Words a person may well use as a whole subject ("Absence" for a missed appointment):
# they count only followed by a colon, or with a weak sign.
AMBIGUOUS = ("absence", "abwesenheit", "afwezig", "ooo")


def _alternatives(phrases) -> str:
    return "|".join(sorted((re.escape(p) for p in phrases), key=len, reverse=True))


# "Re: AW: " and the like that some clients put in front of the responder's subject.
_REPLY_PREFIX = r"(?:(?:re|aw|sv|tr|wg|fw|fwd|rif|r)\s*:\s*)*"
STRONG_SUBJECT = re.compile(  # "Automatic reply: ...", or the unambiguous phrase alone
    rf"^\s*{_REPLY_PREFIX}(?:(?:{_alternatives(PHRASES)})\s*:"
    rf"|(?:{_alternatives(p for p in PHRASES if p not in AMBIGUOUS)})\s*$)", re.IGNORECASE)
LOOSE_SUBJECT = re.compile(rf"^\s*{_REPLY_PREFIX}(?:{_alternatives(PHRASES)})\b", re.IGNORECASE)


def auto_reply_reason(headers: dict[str, str], subject: str) -> str | None:
    """Why this mail is an automatic reply (a short text for the history), or None.

    ``headers``: lower-case names to decoded values (``ParsedMail.headers``).
    """
    auto = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto in ("auto-replied", "auto-notified"):
        return f"Auto-Submitted: {auto}"
    for name in STRONG_HEADERS:
        if name in headers and headers[name].strip().lower() not in ("no", "false", "0"):
            return f"{_title(name)} header"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence == "auto_reply":
        return "Precedence: auto_reply"
    subject = unicodedata.normalize("NFC", subject or "")
    if STRONG_SUBJECT.match(subject):
        return "auto-reply subject"
    if LOOSE_SUBJECT.match(subject):
        weak = _weak_sign(headers, precedence)
        if weak:
            return f"auto-reply subject and {weak}"
    return None


def _weak_sign(headers: dict[str, str], precedence: str) -> str | None:
    if precedence in WEAK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if "x-ms-exchange-inbox-rules-loop" in headers:
        return "X-MS-Exchange-Inbox-Rules-Loop"
    if headers.get("return-path", "").strip() == "<>":
        return "empty Return-Path"
    return None


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))
