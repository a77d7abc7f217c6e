"""Automatic FAQ answers (the ``ccctl_auto_answer`` hook) to the email that starts a new item.

selfhelp decides *whether* to answer, from inside ``create_item``, before the ingester has
stored the message; it passes only the item. The loop guards need the message's headers
(Auto-Submitted, Precedence, List-Id...), so the ingester publishes the messages it is
turning into items with :func:`answerable` for the hook to find by Message-ID. A new email
item from anywhere else (or an ingest run with ``--no-ack``) is never answered automatically.

The answer mail stands in for the acknowledgement: it carries the item's reference and
invites the customer to reply, and ``plan_ack`` skips a message that is already answered,
so the customer receives one mail, not two.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ccctl_email.config import EmailConfig
from ccctl_email.mime import ParsedMail
from ccctl_email.models import OutboundMail

# (the ingesting tenant's settings, Message-ID → message) while the ingester creates items.
_ANSWERABLE: ContextVar[tuple[EmailConfig | None, dict[str, ParsedMail]]] = ContextVar(
    "ccctl_email_answerable", default=(None, {}))


@contextmanager
def answerable(config: EmailConfig, mails: Iterable[ParsedMail]) -> Iterator[None]:
    """While the block runs, the hook may answer these messages (keyed by Message-ID)."""
    token = _ANSWERABLE.set((config, {m.message_id: m for m in mails}))
    try:
        yield
    finally:
        _ANSWERABLE.reset(token)


def excerpt(text: str, chars: int) -> str:
    """The article's opening, cut on a word boundary and wrapped for plain-text mail (a teaser, not the article)."""
    text = " ".join((text or "").split())
    if chars <= 0 or not text:
        return ""
    return textwrap.fill(textwrap.shorten(text, width=chars, placeholder=" …"), width=72)


def queue_auto_answer(ctx, item, answer: dict) -> OutboundMail | None:
    """Queue ``answer`` (``title``, ``url``, ``text``) to the sender of the message that made ``item``,
    or None when it must not or cannot be sent (unknown message, loop guard, cap, no smtp)."""
    from ccctl.customers import get_customer
    from ccctl_email.ack import locale_template, may_answer_automatically, queue_automatic, template_data

    config, mails = _ANSWERABLE.get()
    parsed = mails.get(item.external_ref or "")
    if item.channel != "email" or parsed is None or config is None or not answer.get("url"):
        return None
    # A new item: nothing answers its message yet (and one "answer" per Message-ID is a unique key).
    if config.smtp is None or not may_answer_automatically(ctx, config, parsed):
        return None
    customer = get_customer(ctx.session, ctx.tenant, item.customer_id) if item.customer_id else None
    data = {**template_data(ctx, item, customer),
            "article": {"slug": answer.get("slug", ""), "title": answer.get("title", ""), "url": answer["url"],
                        "excerpt": excerpt(answer.get("text", ""), config.auto_answer.excerpt_chars)}}
    template = locale_template(config.auto_answer.templates, "answer", ctx.tenant.config.get("locale") or "en")
    return queue_automatic(ctx, config, parsed, item, kind="answer", template=template, data=data)
