"""``ccctl sms``: send, schedule, dispatch (cron), preview, status, list, sync, opt-outs."""

from __future__ import annotations

import json

import click

from ccctl.commands.options import tenant_option, tenant_session
from ccctl.cron import cron_command
from ccctl.output import emit, emit_object, output_options

LIST_COLUMNS = ["id", "to", "kind", "template", "state", "status", "segments", "send_at", "attempts", "error"]


def _json_object(_ctx, _param, value):
    if value is None:
        return {}
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object, e.g. '{\"name\": \"Élodie\"}'")
    return data


message_options = [
    click.option("--template", "template", metavar="NAME", help="Template name (tenant YAML or built-in)."),
    click.option("--body", metavar="TEXT", help="Literal text instead of a template."),
    click.option("--data", callback=_json_object, metavar="JSON", help="Template variables, a JSON object."),
    click.option("--locale", metavar="LOCALE", help="Template locale (default: the tenant's)."),
    click.option("--kind", type=click.Choice(["transactional", "marketing"]), default="transactional",
                 show_default=True),
]


def _with_message_options(func):
    for option in reversed(message_options):
        func = option(func)
    return func


@click.group()
def sms() -> None:
    """SMS notifications: an outbox sent exactly once by `ccctl sms dispatch` from cron.

    \b
    Examples:
      ccctl sms preview --template reminder --data '{"what": "RDV", "when": "lundi 9h"}'
      ccctl sms send "06 12 34 56 78" --template reminder --data '{"what": "RDV", "when": "lundi 9h"}'
      ccctl sms schedule reminders.csv -t voyages-lumiere
      */1 * * * *  ccctl sms dispatch --quiet  # crontab: every tenant, what is due
      ccctl sms status
    """


@sms.command("preview")
@click.argument("to", required=False)
@_with_message_options
@tenant_option
@output_options
def preview_cmd(to, template, body, data, locale, kind, tenant_slug, fmt) -> None:
    """Render a message and show its segment count (GSM-7 or UCS-2) without queuing it.

    \b
    Example:
      ccctl sms preview --body "Votre colis arrive demain 🚚"
    """
    from ccctl_sms.config import sms_config
    from ccctl_sms.outbox import compose
    from ccctl_sms.segments import count_segments

    with tenant_session(tenant_slug, commit=False) as (_app, _session, tenant):
        text, used = compose(tenant, sms_config(tenant), template=template, body=body, data=data,
                             locale=locale, kind=kind)
    seg = count_segments(text)
    emit_object({"to": to, "locale": used, "body": text, "characters": len(text), "encoding": seg.encoding,
                 "units": seg.units, "segments": seg.segments, "non_gsm": seg.non_gsm}, fmt)


@sms.command("send")
@click.argument("to")
@_with_message_options
@click.option("--key", metavar="KEY", help="Idempotency key: the same key never sends twice.")
@click.option("--at", "send_at", metavar="WHEN", help="Send at this time (ISO 8601; tenant zone if no offset).")
@click.option("--queue-only", is_flag=True, help="Only queue it; the next `sms dispatch` sends it.")
@tenant_option
@output_options
def send_cmd(to, template, body, data, locale, kind, key, send_at, queue_only, tenant_slug, fmt) -> None:
    """Queue one SMS and send it now (unless --at is later or --queue-only).

    The segment count is printed on stderr first. Exit 1 when it could not be sent.

    \b
    Examples:
      ccctl sms send "+33 6 12 34 56 78" --body "Votre dossier est complet."
      ccctl sms send 0612345678 --template reminder --data '{"what": "RDV", "when": "lundi"}' --key rdv-88
    """
    from ccctl.db.models import utcnow
    from ccctl.errors import CcctlError
    from ccctl_sms.dispatch import Dispatcher
    from ccctl_sms.outbox import enqueue, get_message, message_row
    from ccctl_sms.schedule import parse_when

    with tenant_session(tenant_slug) as (app, session, tenant):
        _require_sms(tenant)
        when = parse_when(send_at, tenant.timezone, "--at")
        row, created = enqueue(session, tenant, to, template=template, body=body, data=data, kind=kind,
                               idempotency_key=key, send_at=when, locale=locale)
        click.echo(f"{row.segments} segment{'s' if row.segments != 1 else ''}, {row.encoding}"
                   + ("" if created else f" (already queued as {row.id}, key {row.idempotency_key})"), err=True)
        row_id, due = row.id, row.next_attempt_at <= utcnow() and row.state == "pending"
    if due and not queue_only:
        dispatcher = Dispatcher(app, [tenant], concurrency=1, only_ids=[row_id], linger=0)
        summary = dispatcher.run()
        if dispatcher.faults[tenant.id].skipped:
            raise CcctlError(f"tenant {tenant.slug}: {dispatcher.faults[tenant.id].skipped}")
        if summary.fatal:
            raise CcctlError(summary.fatal)
    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        result = message_row(get_message(session, tenant, row_id))
    emit_object(result, fmt)
    if result["state"] in ("failed", "blocked"):
        raise CcctlError(f"SMS {row_id} {result['state']}: {result['error']}")
    if due and not queue_only and result["state"] != "sent":
        raise CcctlError(f"SMS {row_id} not sent yet ({result['error']}); it stays queued: "
                         "the next `ccctl sms dispatch` retries it")


@sms.command("schedule")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--dry-run", is_flag=True, help="Check every line, queue nothing.")
@tenant_option
@output_options
def schedule_cmd(source, dry_run, tenant_slug, fmt) -> None:
    """Queue messages from a JSONL or CSV file (- for stdin); all lines or none.

    Columns: to, template or body, data (JSON object, or data.NAME columns in CSV), send_at
    (ISO 8601; tenant zone without offset; empty: now), key (idempotency; default derived from
    the line), kind (transactional|marketing), locale. Re-running the same file queues nothing new.

    \b
    Examples:
      ccctl sms schedule reminders.jsonl -t voyages-lumiere
      printf 'to,template,data.what,data.when,send_at\\n0612345678,reminder,RDV,lundi,2026-11-30T09:00\\n' \\
        | ccctl sms schedule - --dry-run
    """
    from ccctl.errors import InputError
    from ccctl_sms.config import sms_config
    from ccctl_sms.outbox import prepare, store
    from ccctl_sms.schedule import parse_when, read_rows

    name = getattr(source, "name", "-")
    name = "<stdin>" if name in ("-", "<stdin>") else name
    rows = read_rows(source.read(), name)
    with tenant_session(tenant_slug, commit=not dry_run) as (_app, session, tenant):
        _require_sms(tenant)
        config = sms_config(tenant)
        drafts = []
        for row in rows:  # every line is checked before anything is stored
            fields, where = row.fields, f"{name}:{row.line}"
            try:
                drafts.append(prepare(
                    tenant, config, fields["to"], template=fields.get("template"), body=fields.get("body"),
                    data=fields.get("data"), kind=fields.get("kind", "transactional"),
                    idempotency_key=fields.get("key") or fields.get("idempotency_key"),
                    send_at=parse_when(fields.get("send_at"), tenant.timezone, f"{where}: column 'send_at'"),
                    locale=fields.get("locale")))
            except InputError as exc:
                raise InputError(exc.message if exc.message.startswith(where) else f"{where}: {exc.message}") from None
        stored = store(session, tenant, drafts)
    counts = {"lines": len(rows), "queued": sum(created for _, created in stored),
              "already": sum(not created for _, created in stored),
              "blocked": sum(created and row.state == "blocked" for row, created in stored)}
    emit_object({**counts, "dry_run": dry_run}, fmt)


def _require_sms(tenant) -> None:
    from ccctl.errors import CcctlError

    if "sms" not in tenant.enabled_plugins():
        raise CcctlError(f"tenant {tenant.slug} does not enable the sms plugin (plugins.sms.enabled in its YAML)")


@sms.command("dispatch")
@click.option("--limit", type=click.IntRange(1), help="Send at most N messages in this run.")
@click.option("--concurrency", type=click.IntRange(1, 256), default=64, show_default=True,
              help="Requests in flight at once (a rate limit, if set, still holds).")
@click.option("--linger", type=click.FloatRange(0), default=15, show_default=True,
              help="Wait up to this many seconds for retries coming due before exiting.")
@output_options
@cron_command("sms dispatch", plugin="sms")
def dispatch_cmd(app, tenants, run, limit, concurrency, linger, fmt) -> None:
    """Send every due message exactly once (cron). Safe to run concurrently and after kill -9.

    Quiet hours, marketing windows and holidays defer messages; opted-out numbers are blocked;
    timeouts, 429, 5xx and an unreachable provider are retried with exponential backoff until
    the message is `max_age` old (default 6h); invalid numbers fail with the provider's reason.
    A tenant whose secret is missing or whose credentials Twilio refuses is skipped, the others
    are sent.

    \b
    Examples:
      ccctl sms dispatch --quiet               # crontab: */1 * * * *
      ccctl sms dispatch -t voyages-lumiere --limit 500 --concurrency 8
    """
    from ccctl_sms.dispatch import Dispatcher

    dispatcher = Dispatcher(app, tenants, concurrency=concurrency, limit=limit, linger=linger,
                            progress=not run.quiet)
    summary = dispatcher.run()
    for tenant in tenants:
        problems = dispatcher.faults[tenant.id].problems()
        for what in problems:
            run.problem(tenant, what)
        if not problems:
            run.ok(tenant)
    run.emit_object(summary.as_dict(), fmt)


@sms.command("sync")
@click.option("--concurrency", type=click.IntRange(1, 256), default=16, show_default=True)
@output_options
@cron_command("sms sync", plugin="sms")
def sync_cmd(app, tenants, run, concurrency, fmt) -> None:
    """Poll the provider for the delivery status of sent messages not final yet (when no webhook can reach us).

    \b
    Example:
      ccctl sms sync -t voyages-lumiere --quiet
    """
    from ccctl_sms.sync import sync_tenant

    counts = {"checked": 0, "changed": 0, "errors": 0}

    def one(tenant):
        done = sync_tenant(app, tenant, concurrency, progress=not run.quiet)
        for key in counts:
            counts[key] += done[key]
        if done["errors"]:
            run.problem(tenant, f"{done['errors']} status(es) could not be read (last: {done['last_error']})")
        else:
            run.ok(tenant)

    run.each(tenants, one)
    run.emit_object(counts, fmt)


@sms.command("retry")
@click.option("--id", "ids", type=int, multiple=True, metavar="N", help="This message (repeatable).")
@click.option("--state", type=click.Choice(["failed"]), help="Every message in this state (with --since).")
@click.option("--since", metavar="WHEN", help="With --state: only messages created since then (ISO 8601 or 2h, 1d).")
@tenant_option
@output_options
def retry_cmd(ids, state, since, tenant_slug, fmt) -> None:
    """Put failed messages back in the outbox for the next `sms dispatch` (after an outage).

    Exactly once still holds: a message whose last attempt may have reached the provider is
    looked up in the provider's log before it is sent again. Messages to numbers that opted
    out stay blocked.

    \b
    Examples:
      ccctl sms retry --id 4711
      ccctl sms retry --state failed --since 6h -t voyages-lumiere
    """
    from ccctl_sms.retry import requeue

    if bool(ids) == bool(state):
        raise click.UsageError("give --id N (repeatable) or --state failed [--since WHEN]")
    if since and not state:
        raise click.UsageError("--since goes with --state")
    with tenant_session(tenant_slug) as (_app, session, tenant):
        _require_sms(tenant)
        result = requeue(session, tenant, ids=list(ids), since=since)
    emit_object(result, fmt)


@sms.command("status")
@tenant_option
@output_options
def status_cmd(tenant_slug, fmt) -> None:
    """Outbox report: messages and segments per state, delivery status and kind, oldest and newest send time.

    \b
    Example:
      ccctl sms status -t voyages-lumiere --format json
    """
    from ccctl_sms.report import status_report

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        rows = status_report(session, tenant)
    emit(rows, ["state", "status", "kind", "messages", "segments", "oldest", "newest"], fmt)


@sms.command("list")
@click.option("--state", type=click.Choice(["pending", "sending", "sent", "failed", "cancelled", "blocked"]))
@click.option("--to", "to", metavar="NUMBER")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@tenant_option
@output_options
def list_cmd(state, to, limit, tenant_slug, fmt) -> None:
    """List outbox messages, newest first.

    \b
    Example:
      ccctl sms list --state failed --format csv
    """
    from sqlalchemy import select

    from ccctl.contacts import normalize_phone
    from ccctl_sms.models import SmsMessage
    from ccctl_sms.outbox import message_row

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        query = select(SmsMessage).where(SmsMessage.tenant_id == tenant.id)
        if state:
            query = query.where(SmsMessage.state == state)
        if to:
            query = query.where(SmsMessage.to_number == normalize_phone(to, tenant.default_region))
        rows = [message_row(r) for r in session.scalars(query.order_by(SmsMessage.id.desc()).limit(limit))]
    # A table stays narrow; machine formats get every field (sid, key, body...).
    from ccctl.output import resolve_format

    emit(rows, LIST_COLUMNS if resolve_format(fmt) == "table" else None, fmt)


@sms.command("show")
@click.argument("message_id", type=int)
@tenant_option
@output_options
def show_cmd(message_id, tenant_slug, fmt) -> None:
    """Show one outbox message."""
    from ccctl_sms.outbox import get_message, message_row

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        emit_object(message_row(get_message(session, tenant, message_id)), fmt)


@sms.command("cancel")
@click.argument("message_id", type=int)
@tenant_option
def cancel_cmd(message_id, tenant_slug) -> None:
    """Cancel a message not sent yet."""
    from sqlalchemy import update

    from ccctl.errors import CcctlError
    from ccctl_sms.models import PENDING, SmsMessage
    from ccctl_sms.outbox import get_message

    with tenant_session(tenant_slug) as (_app, session, tenant):
        row = get_message(session, tenant, message_id)
        done = session.execute(update(SmsMessage).where(SmsMessage.id == row.id, SmsMessage.state == PENDING)
                               .values(state="cancelled")).rowcount
        if not done:
            raise CcctlError(f"SMS {message_id} is {row.state}: only pending messages can be cancelled")
    click.echo(f"cancelled SMS {message_id}", err=True)


@sms.command("opt-outs")
@tenant_option
@output_options
def optouts_cmd(tenant_slug, fmt) -> None:
    """List the numbers that opted out (STOP) for this tenant."""
    from sqlalchemy import select

    from ccctl_sms.models import SmsOptOut

    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        rows = [{"number": r.number, "source": r.source, "detail": r.detail, "since": r.created_at}
                for r in session.scalars(select(SmsOptOut).where(SmsOptOut.tenant_id == tenant.id)
                                         .order_by(SmsOptOut.created_at))]
    emit(rows, ["number", "source", "detail", "since"], fmt)


@sms.command("opt-out")
@click.argument("number")
@click.option("--reason", default="", help="Why (kept with the number).")
@tenant_option
def optout_cmd(number, reason, tenant_slug) -> None:
    """Block a number for this tenant (as if it had sent STOP); its pending messages are blocked."""
    from ccctl.contacts import normalize_phone
    from ccctl_sms.outbox import opt_out

    with tenant_session(tenant_slug) as (_app, session, tenant):
        value = normalize_phone(number, tenant.default_region)
        added = opt_out(session, tenant, value, "manual", reason)
    click.echo(f"{value} {'opted out' if added else 'was already opted out'}", err=True)


@sms.command("opt-in")
@click.argument("number")
@tenant_option
def optin_cmd(number, tenant_slug) -> None:
    """Allow a number again (as if it had sent START)."""
    from ccctl.contacts import normalize_phone
    from ccctl_sms.outbox import opt_in

    with tenant_session(tenant_slug) as (_app, session, tenant):
        value = normalize_phone(number, tenant.default_region)
        removed = opt_in(session, tenant, value)
    click.echo(f"{value} {'may receive SMS again' if removed else 'was not opted out'}", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(sms)


