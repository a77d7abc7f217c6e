"""``ccctl sms dispatch``: send every due message exactly once, whatever crashes or runs beside us.

How (the residual risks are spelled out in docs/sms.md):

1. **Claim** due rows in one write transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
   ``FOR UPDATE SKIP LOCKED``): each becomes ``sending`` with a fresh ``attempt_id`` and is
   committed *before* any request, so two dispatchers never hold the same row.
2. **Send** from a thread pool; rate-limited senders get a time slot at claim time from a
   shared ``sms_sender_slots`` row, so the rate holds across every dispatcher.
3. **Record** the outcome with ``UPDATE ... WHERE attempt_id = <ours>``: a claim taken over
   meanwhile is never overwritten.
4. **Recover** a row left ``sending`` by a dead dispatcher (kill -9, host crash) or one whose
   last request may have reached the provider (timeout, dropped connection, 5xx): before any
   new request, the provider's message list is searched for the same number and body created
   since that attempt; a match is recorded as sent instead of sending again.
"""

from __future__ import annotations

import sys
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click

from ccctl.errors import DomainError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from ccctl.db.models import Tenant, utcnow
from ccctl.db.upsert import insert_or_skip
from ccctl_sms.backends import Accepted, Outgoing, SendError, make_backend
from ccctl_sms.claimant import claimant_dead, claimant_id, write_session
from ccctl_sms.config import SmsConfig, sms_config
from ccctl_sms.faults import TenantFaults, retry_decision
from ccctl_sms.models import BLOCKED, FAILED, PENDING, SENDING, SENT, SmsMessage, SmsOptOut, SmsSenderSlot
from ccctl_sms.outbox import opt_out
from ccctl_sms.rules import SendingRules

STALE_AFTER = 300.0     # seconds a live dispatcher may hold a claim; far above the HTTP timeout
RATE_HORIZON = 2.0      # seconds of rate-limited slots handed out per claim
RECORD_WINDOW = 0.02    # seconds; outcomes finishing together are recorded in one transaction


@dataclass
class Setup:
    tenant: Tenant
    config: SmsConfig
    rules: SendingRules
    backend: object


@dataclass
class Task:
    row_id: int
    tenant_id: int
    customer_id: int | None
    attempt_id: str
    attempts: int
    slot: datetime
    reconcile_since: datetime | None
    first_attempt_at: datetime
    outgoing: Outgoing
    exclude: set[str] = field(default_factory=set)
    segments: int = 1


@dataclass
class Outcome:
    task: Task
    accepted: Accepted | None = None
    error: SendError | None = None
    reconciled: bool = False


@dataclass
class Summary:
    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    deferred: int = 0
    recovered: int = 0
    lost_claims: int = 0
    fatal: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "fatal" or v}


class Dispatcher:
    def __init__(self, app, tenants: list[Tenant], *, concurrency: int = 32, limit: int | None = None,
                 only_ids: list[int] | None = None, stale_after: float = STALE_AFTER, linger: float = 15.0,
                 progress: bool = False) -> None:
        self.app, self.concurrency, self.limit, self.only_ids = app, concurrency, limit, only_ids
        self.stale_after, self.linger, self.progress = stale_after, linger, progress
        self.me = claimant_id()
        self.summary = Summary()
        self.setups: dict[int, Setup] = {}
        self.faults: dict[int, TenantFaults] = {}
        for tenant in tenants:
            self.faults[tenant.id] = TenantFaults(tenant.slug)
            try:
                config = sms_config(tenant)
                self.setups[tenant.id] = Setup(tenant, config, SendingRules.for_tenant(tenant, config),
                                               make_backend(config))
            except (DomainError, click.ClickException) as exc:  # a missing secret, an unusable setting: this tenant only
                self.faults[tenant.id].skipped = exc.format_message()
            except ValueError as exc:  # pydantic's ValidationError: settings stored before a rule changed
                self.faults[tenant.id].skipped = f"invalid plugins.sms settings: {exc}".replace("\n", " ")

    def active(self) -> list[int]:
        """Tenants still being served: set up, and the provider has not refused their credentials."""
        return [tid for tid in self.setups if self.faults[tid].fatal is None]

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> Summary:
        if not self.setups:
            return self.summary
        for setup in self.setups.values():
            getattr(setup.backend, "warm", lambda: None)()
        claimed = 0
        bar = (click.progressbar(length=max(self.count_due(), 1), label="Sending SMS", file=sys.stderr,
                                 show_pos=True) if self.progress else nullcontext())
        with bar as progress, ThreadPoolExecutor(self.concurrency, thread_name_prefix="sms-send") as pool:
            inflight: dict = {}
            while True:
                room = self.concurrency * 2 - len(inflight)
                if self.limit is not None:
                    room = min(room, self.limit - claimed)
                if self.active() and room > 0 and (not inflight or room >= self.concurrency // 2):
                    tasks = self.claim(room)
                    claimed += len(tasks)
                    for task in tasks:
                        inflight[pool.submit(self.work, task)] = task
                if not inflight:
                    if self.active() and (self.limit is None or claimed < self.limit) and self._wait_for_more():
                        continue
                    break
                done, _ = wait(inflight, timeout=0.5, return_when=FIRST_COMPLETED)
                if done:
                    # Gather what else finishes within a few ms: one commit (one fsync on
                    # PostgreSQL) for many outcomes instead of one each.
                    time.sleep(RECORD_WINDOW)
                    done = {future for future in inflight if future.done()}
                    outcomes = [future.result() for future in done]
                    for future in done:
                        del inflight[future]
                    self.record(outcomes)
                    if progress is not None:
                        progress.update(len(outcomes))
        return self.summary

    def _wait_for_more(self) -> bool:
        """Sleep until the next row becomes actionable if that is within ``linger`` seconds."""
        soonest = self.next_actionable()
        if soonest is None:
            return False
        delay = (soonest - utcnow()).total_seconds()
        if delay > self.linger:
            return False
        time.sleep(max(0.0, delay) + 0.01)
        return True

    def _due_filter(self, query):
        query = query.where(SmsMessage.tenant_id.in_(self.active()))
        if self.only_ids is not None:
            query = query.where(SmsMessage.id.in_(self.only_ids))
        return query

    def count_due(self) -> int:
        with self.app.session() as session:
            return session.scalar(self._due_filter(select(func.count(SmsMessage.id)).where(
                SmsMessage.state.in_((PENDING, SENDING)), SmsMessage.next_attempt_at <= utcnow()))) or 0

    def next_actionable(self) -> datetime | None:
        with self.app.session() as session:
            due = session.scalar(self._due_filter(select(func.min(SmsMessage.next_attempt_at)).where(
                SmsMessage.state == PENDING)))
            stuck = session.execute(self._due_filter(select(SmsMessage.claimed_at, SmsMessage.claimed_by,
                                                            SmsMessage.tenant_id).where(SmsMessage.state == SENDING)))
            times = [due] if due else []
            for claimed_at, claimed_by, tenant_id in stuck:
                if claimant_dead(claimed_by):
                    times.append(claimed_at + timedelta(seconds=self.setups[tenant_id].config.reconcile_after))
        return min(times) if times else None

    # -- claiming -------------------------------------------------------------------------------
    def claim(self, room: int) -> list[Task]:
        now = utcnow()
        session = write_session(self.app)
        try:
            self.recover(session, now)
            rows = session.scalars(self._due_filter(select(SmsMessage).where(
                SmsMessage.state == PENDING, SmsMessage.next_attempt_at <= now))
                .order_by(SmsMessage.next_attempt_at, SmsMessage.id).limit(room)
                .with_for_update(skip_locked=True)).all()
            blocked = self._opted_out(session, rows)
            slots: dict[str, SmsSenderSlot] = {}
            tasks = []
            for row in rows:
                setup = self.setups[row.tenant_id]
                if (row.tenant_id, row.to_number) in blocked:
                    row.state, row.error = BLOCKED, "the number opted out (STOP)"
                    self.summary.blocked += 1
                    continue
                allowed = setup.rules.next_allowed(now, row.kind)
                if allowed is None:
                    row.state, row.error = FAILED, f"no {row.kind} sending window within a year (check the rules)"
                    self.summary.failed += 1
                    self.faults[row.tenant_id].failed += 1
                    self.faults[row.tenant_id].last_failure = row.error
                    continue
                if allowed > now:
                    row.next_attempt_at = allowed
                    self.summary.deferred += 1
                    continue
                slot = self._slot(session, setup.config, slots, now)
                if slot is None:
                    continue  # this sender's rate is used up for the next seconds: stays pending
                row.state, row.attempt_id, row.claimed_by, row.claimed_at = SENDING, uuid.uuid4().hex, self.me, slot
                row.attempts += 1
                row.first_attempt_at = row.first_attempt_at or now
                row.sender = setup.config.sender_key
                tasks.append(self._task(row, setup))
            self._fill_excludes(session, tasks)
            session.commit()
            return tasks
        finally:
            session.close()

    def recover(self, session, now: datetime) -> None:
        """Rows left ``sending`` by a dead or stuck dispatcher go back to pending, to be reconciled."""
        # Read first, lock only the stale ones: live dispatchers' rows are never locked by us.
        claims = session.execute(self._due_filter(select(
            SmsMessage.id, SmsMessage.attempt_id, SmsMessage.claimed_at, SmsMessage.claimed_by, SmsMessage.tenant_id)
            .where(SmsMessage.state == SENDING))).all()
        stale = []
        for row_id, attempt_id, claimed_at, claimed_by, tenant_id in claims:
            age = (now - claimed_at).total_seconds() if claimed_at else self.stale_after
            dead = claimant_dead(claimed_by) and age >= self.setups[tenant_id].config.reconcile_after
            if age >= self.stale_after or dead:
                stale.append((row_id, attempt_id))
        if not stale:
            return
        rows = session.scalars(select(SmsMessage).where(
            SmsMessage.id.in_([row_id for row_id, _ in stale]), SmsMessage.state == SENDING)
            .with_for_update(skip_locked=True)).all()
        seen = dict(stale)
        for row in rows:
            if row.attempt_id == seen.get(row.id):  # still the claim we judged stale
                row.state, row.next_attempt_at = PENDING, now
                row.reconcile_since = row.reconcile_since or row.claimed_at
                row.error = f"recovered from {row.claimed_by} (attempt {row.attempts})"
                self.summary.recovered += 1

    def _opted_out(self, session, rows) -> set[tuple[int, str]]:
        numbers = {row.to_number for row in rows}
        if not numbers:
            return set()
        found = session.execute(select(SmsOptOut.tenant_id, SmsOptOut.number).where(
            SmsOptOut.tenant_id.in_({row.tenant_id for row in rows}), SmsOptOut.number.in_(numbers)))
        return {tuple(r) for r in found}

    def _slot(self, session, config: SmsConfig, slots: dict, now: datetime) -> datetime | None:
        """The send time of the next message from this sender (``now`` without a rate limit)."""
        if not config.rate_per_second:
            return now
        key = config.sender_key
        if key not in slots:
            slot = session.get(SmsSenderSlot, key, with_for_update=True)
            if slot is None:  # created here, or by another dispatcher a moment ago: then theirs is locked
                insert_or_skip(session, SmsSenderSlot, dict(sender=key, next_slot=now), conflict=("sender",),
                               returning=SmsSenderSlot.sender)
                slot = session.get(SmsSenderSlot, key, with_for_update=True, populate_existing=True)
            slots[key] = slot
        slot = slots[key]
        start = max(now, slot.next_slot)
        if (start - now).total_seconds() > RATE_HORIZON:
            return None
        slot.next_slot = start + timedelta(seconds=1.0 / config.rate_per_second)
        return start

    def _task(self, row: SmsMessage, setup: Setup) -> Task:
        config = setup.config
        callback = None
        if config.status_callback_url:
            glue = "&" if "?" in config.status_callback_url else "?"
            callback = f"{config.status_callback_url}{glue}o={row.id}&a={row.attempt_id}"
        outgoing = Outgoing(row.id, row.attempt_id, row.to_number, row.body, config.sender,
                            config.messaging_service_sid, callback)
        return Task(row.id, row.tenant_id, row.customer_id, row.attempt_id, row.attempts, row.claimed_at,
                    row.reconcile_since, row.first_attempt_at, outgoing, segments=row.segments)

    def _fill_excludes(self, session, tasks: list[Task]) -> None:
        """Provider ids other rows already own: a reconcile must never take a sibling's message."""
        for task in tasks:
            if task.reconcile_since is not None:
                task.exclude = set(session.scalars(select(SmsMessage.provider_sid).where(
                    SmsMessage.tenant_id == task.tenant_id, SmsMessage.to_number == task.outgoing.to,
                    SmsMessage.provider_sid.is_not(None), SmsMessage.id != task.row_id)))

    # -- sending (worker threads: no database here) ----------------------------------------------
    def work(self, task: Task) -> Outcome:
        wait_for = (task.slot - utcnow()).total_seconds()
        if wait_for > 0:
            time.sleep(wait_for)
        backend = self.setups[task.tenant_id].backend
        try:
            if task.reconcile_since is not None:
                found = backend.find_sent(task.outgoing, task.reconcile_since, task.exclude)
                if found is not None:
                    return Outcome(task, accepted=found, reconciled=True)
            return Outcome(task, accepted=backend.send(task.outgoing))
        except SendError as exc:
            return Outcome(task, error=exc)
        except Exception as exc:  # noqa: BLE001 - an unexpected failure must not lose the row
            return Outcome(task, error=SendError("unknown", f"{type(exc).__name__}: {exc}"))

    # -- recording --------------------------------------------------------------------------------
    def record(self, outcomes: list[Outcome]) -> None:
        session = write_session(self.app)
        try:
            fresh = [o for o in outcomes if o.accepted is not None and not o.reconciled]
            if fresh:
                self._record_sent_many(session, fresh)
            for outcome in outcomes:
                if outcome.accepted is None:
                    self._record_error(session, outcome)
                elif outcome.reconciled:
                    self._record_reconciled(session, outcome)
            session.commit()
        finally:
            session.close()

    def _record_sent_many(self, session, outcomes: list[Outcome]) -> None:
        """The common case in two statements (an executemany, then a check), however many outcomes."""
        table = SmsMessage.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("b_id"), table.c.attempt_id == bindparam("b_attempt"),
                                table.c.state == SENDING)
            .values(state=SENT, provider_sid=bindparam("b_sid"), delivery_status=bindparam("b_status"),
                    sent_at=utcnow(), reconcile_since=None, error=None, error_code=None),
            [{"b_id": o.task.row_id, "b_attempt": o.task.attempt_id, "b_sid": o.accepted.sid,
              "b_status": o.accepted.status} for o in outcomes])
        owners = dict(session.execute(select(SmsMessage.id, SmsMessage.provider_sid).where(
            SmsMessage.id.in_([o.task.row_id for o in outcomes]))).all())
        for outcome in outcomes:
            # Not ours any more (the claim was taken over: its new holder reconciles) unless a
            # status callback already recorded this very message.
            if owners.get(outcome.task.row_id) != outcome.accepted.sid:
                self.summary.lost_claims += 1
            else:
                self._sent(session, outcome)

    def _mine(self, task: Task):
        return update(SmsMessage).where(SmsMessage.id == task.row_id, SmsMessage.attempt_id == task.attempt_id,
                                        SmsMessage.state == SENDING)

    def _record_reconciled(self, session, outcome: Outcome) -> None:
        task, accepted = outcome.task, outcome.accepted
        try:
            with session.begin_nested():
                done = session.execute(self._mine(task).values(
                    state=SENT, provider_sid=accepted.sid, delivery_status=accepted.status, sent_at=utcnow(),
                    reconcile_since=None, error=None, error_code=None)).rowcount
        except IntegrityError:  # an UPDATE hitting UNIQUE(provider_sid): no ON CONFLICT clause for an UPDATE
            if not outcome.reconciled:
                raise
            # A sibling row (same number, same text) reconciled the same message first: look again,
            # with that message now excluded, and send only if nothing else matches.
            session.execute(self._mine(task).values(state=PENDING, next_attempt_at=utcnow(),
                                                    reconcile_since=task.reconcile_since))
            self.summary.retried += 1
            return
        if not done:
            owner = session.scalar(select(SmsMessage.provider_sid).where(SmsMessage.id == task.row_id))
            if owner != accepted.sid:  # our claim was taken over; the other holder reconciles
                self.summary.lost_claims += 1
                return
        self._sent(session, outcome)

    def _sent(self, session, outcome: Outcome) -> None:
        from ccctl.customers import record_interaction

        task, accepted = outcome.task, outcome.accepted
        self.summary.reconciled += outcome.reconciled
        self.summary.sent += 1
        self.faults[task.tenant_id].pending.pop(task.row_id, None)
        if task.customer_id is not None:
            tenant = self.setups[task.tenant_id].tenant
            record_interaction(session, tenant, "sms", customer_id=task.customer_id, direction="out",
                               summary=task.outgoing.body[:500], external_id=accepted.sid,
                               payload={"outbox_id": task.row_id, "to": task.outgoing.to, "sid": accepted.sid,
                                        "segments": task.segments})

    def _record_error(self, session, outcome: Outcome) -> None:
        task, error = outcome.task, outcome.error
        config, faults = self.setups[task.tenant_id].config, self.faults[task.tenant_id]
        values: dict = {"error": error.reason[:2000], "error_code": error.code}
        if error.kind == "fatal":
            values.update(state=PENDING, attempts=task.attempts - 1, next_attempt_at=utcnow())
            faults.fatal = error.reason
            faults.pending.pop(task.row_id, None)
            self.summary.fatal = self.summary.fatal or error.reason
        elif error.kind == "permanent":
            values["state"] = FAILED
        else:
            if error.kind == "unknown":
                values["reconcile_since"] = task.reconcile_since or task.slot
            now = utcnow()
            again = retry_decision(now, task.first_attempt_at or task.slot, task.attempts, config.retry_backoff,
                                   config.max_age, config.max_attempts)
            if again is None:
                values["state"] = FAILED
                values["error"] = f"gave up after {task.attempts} attempts: {error.reason}"[:2000]
                if error.kind == "unknown":
                    values["error"] += " (the last attempt's outcome is unknown: check the provider's log)"
            else:
                values.update(state=PENDING, next_attempt_at=again)
        if not session.execute(self._mine(task).values(**values)).rowcount:
            self.summary.lost_claims += 1
            return
        if values.get("state") == FAILED:
            self.summary.failed += 1
            faults.failed += 1
            faults.last_failure = values["error"][:300]
            faults.pending.pop(task.row_id, None)
        elif error.kind != "fatal":
            self.summary.retried += 1
            faults.pending[task.row_id] = error.reason[:300]
        if error.code == 21610:
            opt_out(session, self.setups[task.tenant_id].tenant, task.outgoing.to, "provider", error.reason)
