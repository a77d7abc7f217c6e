"""Which item an incoming message belongs to, in osTicket's order:

1. its own Message-ID (a duplicate: handled by the ingester before this);
2. In-Reply-To / References pointing at a message we know;
3. a hidden token (in the Message-ID of our outgoing mails, and in their footer)
   that only we can produce for an item, so a stranger cannot guess it;
4. a subject tag ``[#4711]``, accepted only when the item belongs to the sender.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timezone
from typing import NamedTuple

from sqlalchemy import select

from ccctl.db.models import WorkItem
from ccctl_email.models import EmailMessage

SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
TOKEN = re.compile(r"ccctl\.(\d{1,12})\.([0-9a-f]{12})")


def item_token(item: WorkItem) -> str:
    """``ccctl.<id>.<signature>``: the signature binds the id to the item's tenant and creation time."""
    created = item.created_at.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    signature = hashlib.sha256(f"{item.tenant_id}:{item.id}:{created}".encode()).hexdigest()[:12]
    return f"ccctl.{item.id}.{signature}"


def subject_tag(item_id: int) -> str:
    return f"[#{item_id}]"


def _item(session, tenant, item_id: int) -> WorkItem | None:
    item = session.get(WorkItem, item_id)  # often already in the session: no query
    return item if item is not None and item.tenant_id == tenant.id else None


class ItemRef(NamedTuple):
    """A referenced item's id and state: all threading needs (the row is loaded to reopen it)."""

    id: int
    state: str


def ref_items(session, tenant, refs) -> dict[str, ItemRef]:
    """Message-ID → item for the referenced messages we know (one query, whatever the count)."""
    if not refs:
        return {}
    rows = session.execute(select(EmailMessage.message_id, WorkItem.id, WorkItem.state)
                           .join(WorkItem, WorkItem.id == EmailMessage.item_id).where(
        EmailMessage.tenant_id == tenant.id, EmailMessage.message_id.in_(set(refs)), WorkItem.tenant_id == tenant.id))
    return {ref: ItemRef(item_id, state) for ref, item_id, state in rows}


def by_references(session, tenant, refs: list[str], known: dict[str, object] | None = None):
    """The item of the nearest known reference; ``known`` is :func:`ref_items` done beforehand for a batch."""
    if known is None:
        known = ref_items(session, tenant, refs)
    return next((known[ref] for ref in refs if ref in known), None)


def by_token(session, tenant, refs: list[str], text: str) -> WorkItem | None:
    for item_id, signature in TOKEN.findall(" ".join(refs) + "\n" + text[-20000:]):
        item = _item(session, tenant, int(item_id))
        if item is not None and item_token(item).endswith(signature):
            return item
    return None


def by_subject(session, tenant, subject: str, customer_id: int | None) -> WorkItem | None:
    for item_id in SUBJECT_TAG.findall(subject):
        item = _item(session, tenant, int(item_id))
        if item is not None and item.channel == "email" and item.customer_id == customer_id:
            return item
    return None


def find_thread(session, tenant, parsed, customer_id: int | None,
                known: dict[str, object] | None = None) -> tuple[WorkItem | None, str]:
    """(item, how) for a message not seen before; (None, "new") when it starts a thread.

    ``known`` maps Message-IDs to items when a batch looked its references up at once (and
    to the batch's own items to be, so a reply joins a thread started earlier in the batch).
    """
    refs = parsed.thread_refs
    item = by_references(session, tenant, refs, known)
    if item is not None:
        return item, "references"
    item = by_token(session, tenant, refs, parsed.text)
    if item is not None:
        return item, "token"
    item = by_subject(session, tenant, parsed.subject, customer_id)
    if item is not None:
        return item, "subject-tag"
    return None, "new"
