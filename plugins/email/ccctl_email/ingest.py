"""Ingest raw messages for one tenant: de-duplicate, match the customer, thread, store, acknowledge.

One :class:`Ingester` serves a whole batch, a chunk of messages at a time: known Message-IDs,
senders and referenced threads are looked up with one query each, and the chunk's items,
history events and message rows are stored with one INSERT each, in one savepoint. Should
anything in the chunk fail (a bad message, a concurrent ingester storing the same
Message-ID), the savepoint is rolled back and the chunk redone one message at a time, each
in its own savepoint, so a bad one is quarantined and the batch goes on. The caller commits
every few hundred messages: a killed run loses at most the open batch, which a re-run
re-reads harmlessly (Message-IDs are unique).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timezone
from typing import Any, NamedTuple

from sqlalchemy import select

from ccctl.db.models import WorkItem, utcnow
from ccctl_email.autoanswer import answerable
from ccctl_email.config import EmailConfig
from ccctl_email.mime import ParsedMail, Unparseable, storable
from ccctl_email.pipeline import CHUNK
from ccctl_email.models import EmailAttachment, EmailBlob, EmailMessage, QuarantinedMail

# Outcomes, as counted in the summary.
NEW, JOINED, DUPLICATE, QUARANTINED = "new", "joined", "duplicate", "quarantined"
AUTO_REPLY = "auto_reply"  # an out-of-office or other automatic reply: history only, no item


@dataclass
class Result:
    outcome: str
    message_id: str | None = None
    item_id: int | None = None
    reason: str | None = None


class Pending(NamedTuple):
    """A new message of a chunk waiting to be stored, and its place among the chunk's results."""

    index: int
    mail: ParsedMail
    raw: bytes
    source: str


class Planned(NamedTuple):
    """A message of a chunk whose thread is known: an existing item, or one the chunk creates."""

    mail: ParsedMail
    source: str
    customer: Any
    item: Any  # a WorkItem, an ItemRef or a _NewItem
    how: str


class Stored(NamedTuple):
    """A message whose item and history event exist: what its message row and ack need."""

    mail: ParsedMail
    source: str
    customer: Any
    item_id: int
    how: str
    interaction_id: int | None
    outcome: str


def quarantine(session, tenant, raw: bytes, reason: str, source: str) -> None:
    """Keep ``raw`` with ``reason``; the same bytes are kept once."""
    digest = hashlib.sha256(raw).hexdigest()
    exists = session.scalar(select(QuarantinedMail.id).where(
        QuarantinedMail.tenant_id == tenant.id, QuarantinedMail.sha256 == digest))
    if exists is None:
        session.add(QuarantinedMail(tenant_id=tenant.id, sha256=digest, source=storable(source, 500),
                                    reason=storable(reason, 2000), raw=raw))
        session.flush()


def store_failure(exc: Exception, message_id: str) -> str:
    """A quarantine reason for a message the database refused: the kind of error, never its text
    (a driver's message quotes the SQL statement and its values: the customer's address and words)."""
    from sqlalchemy.exc import DBAPIError, StatementError

    if isinstance(exc, DBAPIError) and exc.orig is not None:
        kind = f"database error {type(exc.orig).__name__}"
    elif isinstance(exc, StatementError) and exc.orig is not None:
        kind = f"database error {type(exc.orig).__name__}"
    else:
        kind = type(exc).__name__
    return f"could not store {message_id}: {kind}"


def reopen(session, tenant, item, message_id: str) -> None:
    """A customer's new message puts a waiting or closed item back in the queue (no queue API does yet).

    ``item`` is a ``WorkItem`` or a :class:`ccctl_email.threads.ItemRef` (loaded here if it must change).
    """
    if item.state not in ("waiting", "closed"):
        return
    from ccctl.queue.history import record_step

    if not isinstance(item, WorkItem):
        item = session.get(WorkItem, item.id)  # reopened earlier in the chunk? its row says so
        if item.state not in ("waiting", "closed"):
            return

    was = item.state
    item.state, item.closed_at, item.claimed_by, item.claimed_at = "open", None, None, None
    record_step(session, tenant, item, "reopened", f"reopened ({was}): the customer wrote again",
                actor="email", was=was, message_id=message_id)


class Ingester:
    def __init__(self, ctx, config: EmailConfig, *, acknowledge: bool = True) -> None:
        self.ctx, self.session, self.tenant = ctx, ctx.session, ctx.tenant
        self.config = config
        self.acknowledge = acknowledge and config.ack.enabled
        # Automatic FAQ answers (selfhelp) obey the run's ack switch too: --no-ack sends nothing.
        self.auto_replies = acknowledge
        self.counts: Counter[str] = Counter()
        # Senders seen in this run: most mail comes from people who wrote before.
        self._customers: dict[str, Any] = {}

    def ingest(self, raw: bytes, source: str = "") -> Result:
        """Ingest one message."""
        return next(self.ingest_many([(source, raw)]))

    def ingest_many(self, messages: Iterable[tuple[str, bytes]], chunk: int = CHUNK) -> Iterator[Result]:
        """Ingest ``(source, raw)`` pairs, yielding one result each, a chunk at a time, parsed here."""
        from ccctl_email.pipeline import batches, in_process

        return self.ingest_parsed(in_process(batches(messages, chunk)))

    def ingest_parsed(self, chunks: Iterable[tuple[list[tuple[str, bytes]], list[ParsedMail | Unparseable]]],
                      ) -> Iterator[Result]:
        """Ingest ``(chunk, parsed)`` pairs (e.g. from a :class:`ccctl_email.pipeline.ParsePool`)."""
        for batch, parsed in chunks:
            yield from self._chunk(batch, parsed)

    def _chunk(self, batch: list[tuple[str, bytes]], parsed: list[ParsedMail | Unparseable]) -> Iterator[Result]:
        ids = [p.message_id for p in parsed if isinstance(p, ParsedMail)]
        known = set(self.session.scalars(select(EmailMessage.message_id).where(
            EmailMessage.tenant_id == self.tenant.id, EmailMessage.message_id.in_(ids)))) if ids else set()
        results: list[Result | None] = []
        todo: list[Pending] = []
        for (source, raw), mail in zip(batch, parsed):
            if isinstance(mail, Unparseable):
                results.append(self._quarantine(raw, str(mail), source))
            elif mail.message_id in known:
                self.counts[DUPLICATE] += 1
                results.append(Result(DUPLICATE, mail.message_id))
            elif self._auto_reply_reason(mail):
                known.add(mail.message_id)  # the same one again in this chunk is a duplicate
                results.append(self._one(mail, raw, source, self._store_auto_reply))
            else:  # a Message-ID repeated within the chunk is sorted out by _store_chunk
                todo.append(Pending(len(results), mail, raw, source))
                results.append(None)
        for index, result in self._store_chunk(todo):
            results[index] = result
        yield from results

    def _store_chunk(self, todo: list[Pending]) -> list[tuple[int, Result]]:
        """Store new messages in bulk; on any failure, one at a time (quarantining the bad ones)."""
        if not todo:
            return []
        from sqlalchemy.exc import OperationalError

        try:
            with self._savepoint():
                results = self._store_many(todo)
        except OperationalError:
            raise  # the database's trouble (locked, gone), not the messages': the run stops, nothing lost
        except Exception:  # noqa: BLE001 - rolled back whole: the per-message path sorts it out
            return list(self._store_one_by_one(todo))
        for result in results:
            self.counts[result.outcome] += 1
        return [(pending.index, result) for pending, result in zip(todo, results)]

    @contextmanager
    def _savepoint(self):
        """A savepoint whose rollback also forgets what it made: customers in the run's cache, and
        rows a bulk INSERT returned (they outlive a rollback in the session's identity map)."""
        cached, loaded = dict(self._customers), set(self.session.identity_map.keys())
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            self._customers = cached
            for key in set(self.session.identity_map.keys()) - loaded:
                stale = self.session.identity_map.get(key)
                if stale is not None:
                    self.session.expunge(stale)
            raise

    def _store_one_by_one(self, todo: list[Pending]) -> Iterator[tuple[int, Result]]:
        stored: set[str] = set()
        for index, mail, raw, source in todo:
            if mail.message_id in stored:
                self.counts[DUPLICATE] += 1
                yield index, Result(DUPLICATE, mail.message_id)
                continue
            result = self._one(mail, raw, source)
            if result.outcome != QUARANTINED:  # a quarantined one may come again, in better shape
                stored.add(mail.message_id)
            yield index, result

    def _auto_reply_reason(self, parsed: ParsedMail) -> str | None:
        from ccctl_email.autoreply import auto_reply_reason

        if self.config.auto_replies != "history":
            return None
        return auto_reply_reason(parsed.headers, parsed.subject)

    def _one(self, parsed: ParsedMail, raw: bytes, source: str, store=None) -> Result:
        """Store one message (``store``: :meth:`_store` by default) in its own savepoint."""
        from sqlalchemy.exc import IntegrityError, OperationalError

        try:
            with self._savepoint():
                result = (store or self._store)(parsed, raw, source)
        except OperationalError:
            raise  # a locked or lost database is no reason to quarantine a good message
        except IntegrityError as exc:  # kept: any constraint of a whole message's rows (item, history,
            # message, attachments) sends it to quarantine; ON CONFLICT covers one INSERT, not this.
            if self._exists(parsed.message_id):  # another ingester (MTA pipe, fetch) stored it first
                self.counts[DUPLICATE] += 1
                return Result(DUPLICATE, parsed.message_id)
            return self._quarantine(raw, store_failure(exc, parsed.message_id), source)
        except Exception as exc:  # noqa: BLE001 - one message must never stop the batch
            return self._quarantine(raw, store_failure(exc, parsed.message_id), source)
        self.counts[result.outcome] += 1
        return result

    def _exists(self, message_id: str) -> bool:
        return self.session.scalar(select(EmailMessage.id).where(
            EmailMessage.tenant_id == self.tenant.id, EmailMessage.message_id == message_id)) is not None

    def _quarantine(self, raw: bytes, reason: str, source: str) -> Result:
        with self.session.begin_nested():
            quarantine(self.session, self.tenant, raw, reason, source)
        self.counts[QUARANTINED] += 1
        return Result(QUARANTINED, reason=reason)

    def _store(self, parsed: ParsedMail, raw: bytes, source: str) -> Result:
        from ccctl.customers import record_interaction
        from ccctl.queue.items import create_item
        from ccctl_email.threads import find_thread

        customer = self._customer_of([parsed])[parsed.from_addr]
        self._contacted([parsed], {parsed.from_addr: customer})
        item, how = find_thread(self.session, self.tenant, parsed, customer.id)
        if item is None:
            with answerable(self.config, [parsed] if self.auto_replies else []):
                item, _ = create_item(self.ctx, **self._item_spec(parsed, customer))
            outcome = NEW
        else:
            reopen(self.session, self.tenant, item, parsed.message_id)
            outcome = JOINED
        interaction, _ = record_interaction(self.session, self.tenant, **_interaction_event(parsed, customer, item.id))
        self._finish([Stored(parsed, source, customer, item.id, how, interaction.id, outcome)])
        return Result(outcome, parsed.message_id, item.id)

    def _store_auto_reply(self, parsed: ParsedMail, raw: bytes, source: str) -> Result:
        """An automatic reply goes to the sender's history, on the thread it answers if known;
        it creates no item and reopens none (nobody has anything to do about it)."""
        from ccctl.customers import record_interaction
        from ccctl_email.threads import find_thread

        customer = self._customer_of([parsed])[parsed.from_addr]
        item, _how = find_thread(self.session, self.tenant, parsed, customer.id)
        item_id = item.id if item is not None else None
        event = _interaction_event(parsed, customer, item_id)
        event["summary"] = f"Automatic reply: {event['summary']}"[:500]
        event["payload"]["auto_reply"] = self._auto_reply_reason(parsed)
        interaction, _ = record_interaction(self.session, self.tenant, **event)
        self._finish([Stored(parsed, source, customer, item_id, AUTO_REPLY, interaction.id, AUTO_REPLY)])
        return Result(AUTO_REPLY, parsed.message_id, item_id)

    def _store_many(self, todo: list[Pending]) -> list[Result]:
        """:meth:`_store` for a chunk: threads first (a reply may join a thread the chunk starts), then bulk inserts."""
        from ccctl.customers import record_interactions
        from ccctl.queue.items import create_items
        from ccctl_email.threads import find_thread, ref_items

        session, tenant = self.session, self.tenant
        firsts: dict[str, int] = {}
        for n, pending in enumerate(todo):
            firsts.setdefault(pending.mail.message_id, n)
        repeated = [(n, p.mail.message_id) for n, p in enumerate(todo) if firsts[p.mail.message_id] != n]
        todo = [p for n, p in enumerate(todo) if firsts[p.mail.message_id] == n]
        customers = self._customer_of([p.mail for p in todo])
        self._contacted([p.mail for p in todo], customers)
        known: dict[str, Any] = ref_items(session, tenant, [r for p in todo for r in p.mail.thread_refs])
        specs: list[dict[str, Any]] = []
        plan: list[Planned] = []
        for pending in todo:
            parsed = pending.mail
            customer = customers[parsed.from_addr]
            item, how = find_thread(session, tenant, parsed, customer.id, known)
            if item is None:
                item = _NewItem(len(specs))
                specs.append(self._item_spec(parsed, customer))
            elif not isinstance(item, _NewItem):
                reopen(session, tenant, item, parsed.message_id)
            known[parsed.message_id] = item
            plan.append(Planned(parsed, pending.source, customer, item, how))
        starting = [p.mail for p in plan if isinstance(p.item, _NewItem)]
        with answerable(self.config, starting if self.auto_replies else []):
            created = [item_id for item_id, _created in create_items(self.ctx, specs, ids=True)]
        item_ids = [created[p.item.index] if isinstance(p.item, _NewItem) else p.item.id for p in plan]
        interactions = record_interactions(session, tenant, [
            _interaction_event(p.mail, p.customer, item_id) for p, item_id in zip(plan, item_ids)], ids=True)
        rows = [Stored(p.mail, p.source, p.customer, item_id, p.how, interaction_id,
                       NEW if p.how == "new" else JOINED)
                for p, item_id, (interaction_id, _created) in zip(plan, item_ids, interactions)]
        self._finish(rows)
        results = [Result(row.outcome, row.mail.message_id, row.item_id) for row in rows]
        for n, message_id in repeated:  # the same Message-ID again within the chunk (ascending n: inserts line up)
            results.insert(n, Result(DUPLICATE, message_id))
        return results

    def _customer_of(self, mails: list[ParsedMail]) -> dict[str, Any]:
        """Sender address → customer (found with one query, created in bulk if new), remembered for the run."""
        from ccctl.customers import find_or_create_many

        wanted: dict[str, str] = {}
        for p in mails:
            known = self._customers.get(p.from_addr)
            if (known is None or (p.from_name and not known.name)) and not wanted.get(p.from_addr):
                wanted[p.from_addr] = p.from_name  # the first name given wins, as one message at a time
        if wanted:
            self._customers.update(find_or_create_many(self.session, self.tenant, "email", wanted))
        return {p.from_addr: self._customers[p.from_addr] for p in mails}

    def _contacted(self, mails: list[ParsedMail], customers: dict[str, Any]) -> None:
        """``ccctl_customer_contacted`` for the senders, before any item is made (a reply joining a thread
        makes none): a person wrote; an automatic message (out of office, bounce, list) is nobody's contact."""
        from ccctl_email.ack import skip_reason

        ids = sorted({customers[m.from_addr].id for m in mails if skip_reason(m, self.config) is None})
        if ids:
            self.ctx.hook("ccctl_customer_contacted")(customer_ids=ids, channel="email", ctx=self.ctx)

    def _item_spec(self, parsed: ParsedMail, customer) -> dict[str, Any]:
        """``create_item`` arguments for a message that starts a thread."""
        return dict(channel="email", subject=parsed.subject or "(no subject)", body=parsed.text,
                    customer_id=customer.id, external_ref=parsed.message_id, sla=self.config.sla or None,
                    attributes={"from": parsed.from_addr, "to": parsed.to[:10]})

    def _finish(self, rows: list[Stored]) -> None:
        """Message rows (one INSERT), attachments, then acknowledgements for the new threads
        (rows hold item ids; the new items are loaded, with one query, only to acknowledge them)."""
        from ccctl.db.bulk import insert_ids

        ids = insert_ids(self.session, EmailMessage, [
            dict(tenant_id=self.tenant.id, message_id=row.mail.message_id, direction="in", item_id=row.item_id,
                 customer_id=row.customer.id, interaction_id=row.interaction_id, from_addr=row.mail.from_addr,
                 subject=row.mail.subject, matched_by=row.how, source=storable(row.source, 500))
            for row in rows])
        self._attachments([(row_id, row.mail) for row_id, row in zip(ids, rows) if row.mail.attachments])
        new = [row for row in rows if row.outcome == NEW]
        if self.acknowledge and new:
            items = {i.id: i for i in self.session.scalars(select(WorkItem).where(
                WorkItem.tenant_id == self.tenant.id, WorkItem.id.in_([row.item_id for row in new])))}
            for row in new:
                self._acknowledge(row.mail, items[row.item_id], row.customer)

    def _acknowledge(self, parsed: ParsedMail, item: WorkItem, customer) -> None:
        """A broken ack template or an address no mail can be composed for must not keep customers'
        mail out of the queue: warn (naming the message, not the person) and go on."""
        import click

        from ccctl.errors import DomainError
        from ccctl_email.ack import plan_ack

        try:
            with self.session.begin_nested():
                plan_ack(self.ctx, self.config, parsed, item, customer)
        except DomainError as exc:
            self.counts["ack_errors"] += 1
            click.echo(f"warning: no acknowledgement for {parsed.message_id}: {exc.format_message()}", err=True)
        except (ValueError, TypeError, LookupError) as exc:  # composing the mail failed (e.g. the header)
            self.counts["ack_errors"] += 1
            click.echo(f"warning: no acknowledgement for {parsed.message_id}: {type(exc).__name__}", err=True)

    def _attachments(self, messages: list[tuple[int, ParsedMail]]) -> None:
        """The messages' attachments: names in one INSERT, contents stored once by SHA-256."""
        from sqlalchemy import insert

        found = [(row_id, a, a.sha256) for row_id, parsed in messages for a in parsed.attachments]
        if not found:
            return
        store_blobs(self.session, self.tenant, {digest: a.data for _r, a, digest in found})
        self.session.execute(insert(EmailAttachment), [
            dict(tenant_id=self.tenant.id, message_row_id=row_id, sha256=digest, filename=a.filename,
                 content_type=a.content_type[:200], size=len(a.data)) for row_id, a, digest in found])


@dataclass
class _NewItem:
    """An item a chunk will create: its index among the chunk's new threads."""

    index: int


def _interaction_event(parsed: ParsedMail, customer, item_id: int) -> dict[str, Any]:
    """``record_interaction`` arguments for an incoming message."""
    return dict(channel="email", customer_id=customer.id, direction="in", item_id=item_id,
                summary=parsed.subject or "(no subject)", external_id=parsed.message_id,
                occurred_at=_occurred(parsed), actor=parsed.from_addr[:100],
                payload={"from": parsed.from_addr, "to": parsed.to[:10], "text": parsed.text[:5000],
                         "attachments": [a.filename for a in parsed.attachments]})


def store_blobs(session, tenant, blobs: dict[str, bytes]) -> None:
    """Content-addressed: the same bytes are stored once per tenant (``blobs`` maps SHA-256 → bytes)."""
    from sqlalchemy import insert

    stored = set(session.scalars(select(EmailBlob.sha256).where(
        EmailBlob.tenant_id == tenant.id, EmailBlob.sha256.in_(list(blobs)))))
    new = [dict(tenant_id=tenant.id, sha256=digest, size=len(data), data=data)
           for digest, data in blobs.items() if digest not in stored]
    if new:
        session.execute(insert(EmailBlob), new)


def _occurred(parsed: ParsedMail):
    now = utcnow()
    # A Date: header in the future or absurdly old is a broken clock, not history.
    if parsed.date is None or parsed.date > now or parsed.date.year < 1990:
        return now
    return parsed.date.astimezone(timezone.utc)


def summary(counts: Counter[str]) -> dict[str, Any]:
    return {key: counts.get(key, 0) for key in (NEW, JOINED, DUPLICATE, QUARANTINED, AUTO_REPLY)}
