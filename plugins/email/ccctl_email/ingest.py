"""Ingest raw messages for one tenant: de-duplicate, match the customer, thread, store, acknowledge.

One :class:`Ingester` serves a whole batch: each message runs in its own savepoint (a bad
one is quarantined and the batch goes on) and the caller commits every ``commit_every``
messages, so a run costs few transactions and a killed run loses at most the open batch,
which a re-run re-reads harmlessly (Message-IDs are unique).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timezone
from typing import Any

from sqlalchemy import select

from ccctl.db.models import WorkItem, utcnow
from ccctl_email.config import EmailConfig
from ccctl_email.mime import ParsedMail, Unparseable, parse
from ccctl_email.models import EmailAttachment, EmailBlob, EmailMessage, QuarantinedMail

# Outcomes, as counted in the summary.
NEW, JOINED, DUPLICATE, QUARANTINED = "new", "joined", "duplicate", "quarantined"


@dataclass
class Result:
    outcome: str
    message_id: str | None = None
    item_id: int | None = None
    reason: str | None = None


def quarantine(session, tenant, raw: bytes, reason: str, source: str) -> None:
    """Keep ``raw`` with ``reason``; the same bytes are kept once."""
    digest = hashlib.sha256(raw).hexdigest()
    exists = session.scalar(select(QuarantinedMail.id).where(
        QuarantinedMail.tenant_id == tenant.id, QuarantinedMail.sha256 == digest))
    if exists is None:
        session.add(QuarantinedMail(tenant_id=tenant.id, sha256=digest, source=source[:500],
                                    reason=reason[:2000], raw=raw))
        session.flush()


def reopen(session, tenant, item: WorkItem, message_id: str) -> None:
    """A customer's new message puts a waiting or closed item back in the queue (no queue API does yet)."""
    if item.state not in ("waiting", "closed"):
        return
    from ccctl.queue.history import record_step

    was = item.state
    item.state, item.closed_at, item.claimed_by, item.claimed_at = "open", None, None, None
    record_step(session, tenant, item, "reopened", f"reopened ({was}): the customer wrote again",
                actor="email", was=was, message_id=message_id)


def email_due_at(ctx, item: WorkItem, config: EmailConfig):
    """The item's due time under the tenant's email SLA (business hours from the queue's rules)."""
    from ccctl.queue.sla import due_at

    queues = ctx.tenant.config.get("queues") or []
    spec = next((q for q in queues if q.get("name") == item.queue), {})
    start = max(item.created_at, item.not_before) if item.not_before else item.created_at
    return due_at(start, {**spec, "sla": config.sla}, ctx.tenant.config)


class Ingester:
    def __init__(self, ctx, config: EmailConfig, *, acknowledge: bool = True) -> None:
        self.ctx, self.session, self.tenant = ctx, ctx.session, ctx.tenant
        self.config = config
        self.acknowledge = acknowledge and config.ack.enabled
        self.counts: Counter[str] = Counter()
        # Senders seen in this run: most mail comes from people who wrote before.
        self._customers: dict[str, Any] = {}

    def ingest(self, raw: bytes, source: str = "") -> Result:
        """Ingest one message."""
        return next(self.ingest_many([(source, raw)]))

    def ingest_many(self, messages: Iterable[tuple[str, bytes]], chunk: int = 200) -> Iterator[Result]:
        """Ingest ``(source, raw)`` pairs, yielding one result each; known Message-IDs are looked up per chunk."""
        batch: list[tuple[str, bytes]] = []
        for message in messages:
            batch.append(message)
            if len(batch) >= chunk:
                yield from self._chunk(batch)
                batch = []
        if batch:
            yield from self._chunk(batch)

    def _chunk(self, batch: list[tuple[str, bytes]]) -> Iterator[Result]:
        parsed: list[ParsedMail | Unparseable] = []
        for _source, raw in batch:
            try:
                parsed.append(parse(raw))
            except Unparseable as exc:
                parsed.append(exc)
        ids = [p.message_id for p in parsed if isinstance(p, ParsedMail)]
        known = set(self.session.scalars(select(EmailMessage.message_id).where(
            EmailMessage.tenant_id == self.tenant.id, EmailMessage.message_id.in_(ids)))) if ids else set()
        for (source, raw), mail in zip(batch, parsed):
            if isinstance(mail, Unparseable):
                yield self._quarantine(raw, str(mail), source)
            elif mail.message_id in known:
                self.counts[DUPLICATE] += 1
                yield Result(DUPLICATE, mail.message_id)
            else:
                result = self._one(mail, raw, source)
                if result.outcome != QUARANTINED:
                    known.add(mail.message_id)  # the same Message-ID later in this chunk is a duplicate
                yield result

    def _one(self, parsed: ParsedMail, raw: bytes, source: str) -> Result:
        from sqlalchemy.exc import IntegrityError

        try:
            with self.session.begin_nested():
                result = self._store(parsed, raw, source)
        except IntegrityError as exc:
            self._customers.pop(parsed.from_addr, None)
            if self._exists(parsed.message_id):  # another ingester (MTA pipe, fetch) stored it first
                self.counts[DUPLICATE] += 1
                return Result(DUPLICATE, parsed.message_id)
            return self._quarantine(raw, f"could not store: {exc.orig}", source)
        except Exception as exc:  # noqa: BLE001 - one message must never stop the batch
            self._customers.pop(parsed.from_addr, None)  # may have been created in the rolled-back savepoint
            return self._quarantine(raw, f"could not store: {type(exc).__name__}: {exc}", source)
        self.counts[result.outcome] += 1
        return result

    def _exists(self, message_id: str) -> bool:
        return self.session.scalar(select(EmailMessage.id).where(
            EmailMessage.tenant_id == self.tenant.id, EmailMessage.message_id == message_id)) is not None

    def _quarantine(self, raw: bytes, reason: str, source: str) -> Result:
        quarantine(self.session, self.tenant, raw, reason, source)
        self.counts[QUARANTINED] += 1
        return Result(QUARANTINED, reason=reason)

    def _store(self, parsed: ParsedMail, raw: bytes, source: str) -> Result:
        from ccctl.customers import find_or_create, record_interaction
        from ccctl.queue.items import create_item
        from ccctl_email.threads import find_thread

        session, tenant = self.session, self.tenant
        customer = self._customers.get(parsed.from_addr)
        if customer is None or (parsed.from_name and not customer.name):
            customer, _ = find_or_create(session, tenant, "email", parsed.from_addr, parsed.from_name)
            self._customers[parsed.from_addr] = customer
        item, how = find_thread(session, tenant, parsed, customer.id)
        if item is None:
            item, _ = create_item(
                self.ctx, "email", subject=parsed.subject or "(no subject)", body=parsed.text,
                customer_id=customer.id, external_ref=parsed.message_id,
                attributes={"from": parsed.from_addr, "to": parsed.to[:10]},
            )
            if self.config.sla:
                item.due_at = email_due_at(self.ctx, item, self.config)
            outcome = NEW
        else:
            reopen(session, tenant, item, parsed.message_id)
            outcome = JOINED
        interaction, _ = record_interaction(
            session, tenant, "email", customer_id=customer.id, direction="in", item_id=item.id,
            summary=parsed.subject or "(no subject)", external_id=parsed.message_id,
            occurred_at=_occurred(parsed), actor=parsed.from_addr,
            payload={"from": parsed.from_addr, "to": parsed.to[:10], "text": parsed.text[:5000],
                     "attachments": [a.filename for a in parsed.attachments]},
        )
        row = EmailMessage(tenant_id=tenant.id, message_id=parsed.message_id, direction="in", item_id=item.id,
                           customer_id=customer.id, interaction_id=interaction.id, from_addr=parsed.from_addr,
                           subject=parsed.subject, matched_by=how, source=source[:500])
        session.add(row)
        if parsed.attachments:
            session.flush()  # the attachments need the row's id
            self._attachments(row, parsed)
        if self.acknowledge and outcome == NEW:
            self._acknowledge(parsed, item, customer)
        return Result(outcome, parsed.message_id, item.id)

    def _acknowledge(self, parsed: ParsedMail, item: WorkItem, customer) -> None:
        """A broken ack template must not keep customers' mail out of the queue: warn and go on."""
        import click

        from ccctl_email.ack import plan_ack

        try:
            with self.session.begin_nested():
                plan_ack(self.ctx, self.config, parsed, item, customer)
        except click.ClickException as exc:
            self.counts["ack_errors"] += 1
            click.echo(f"warning: no acknowledgement for {parsed.message_id}: {exc.format_message()}", err=True)

    def _attachments(self, row: EmailMessage, parsed: ParsedMail) -> None:
        for attachment in parsed.attachments:
            digest = attachment.sha256
            store_blob(self.session, self.tenant, digest, attachment.data)
            self.session.add(EmailAttachment(
                tenant_id=self.tenant.id, message_row_id=row.id, sha256=digest, filename=attachment.filename,
                content_type=attachment.content_type[:200], size=len(attachment.data)))


def store_blob(session, tenant, digest: str, data: bytes) -> None:
    """Content-addressed: the same bytes are stored once per tenant."""
    exists = session.scalar(select(EmailBlob.id).where(EmailBlob.tenant_id == tenant.id, EmailBlob.sha256 == digest))
    if exists is None:
        session.add(EmailBlob(tenant_id=tenant.id, sha256=digest, size=len(data), data=data))
        session.flush()


def _occurred(parsed: ParsedMail):
    now = utcnow()
    # A Date: header in the future or absurdly old is a broken clock, not history.
    if parsed.date is None or parsed.date > now or parsed.date.year < 1990:
        return now
    return parsed.date.astimezone(timezone.utc)


def summary(counts: Counter[str]) -> dict[str, Any]:
    return {key: counts.get(key, 0) for key in (NEW, JOINED, DUPLICATE, QUARANTINED)}
