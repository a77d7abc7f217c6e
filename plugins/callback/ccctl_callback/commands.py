"""``ccctl callback``: request, slots, list, show (the screen pop), dial."""

from __future__ import annotations

import click

from ccctl.commands.options import tenant_option, tenant_session
from ccctl.output import emit, emit_object, output_options

SLOT_COLUMNS = ["start", "end", "capacity", "booked", "free", "status"]
REQUEST_COLUMNS = ["request", "item", "customer", "name", "phone", "slot", "state", "attempts", "source"]
BATCH_COLUMNS = ["line", "status", "request", "item", "slot", "error"]


@click.group()
def callback() -> None:
    """Call-backs: visitors ask to be called now or in a slot; agents call with the history on screen."""


@callback.command("request")
@click.option("--phone", help="Number to call, national or +international.")
@click.option("--name", default="", help="Who asked.")
@click.option("--reason", default="", help="Why they want a call.")
@click.option("--slot", help="Slot start in the tenant's time, e.g. '2026-11-24 10:30'.")
@click.option("--now", "immediate", is_flag=True, help="Call back as soon as possible (opening hours only).")
@click.option("--context", "context_json", default=None, metavar="JSON",
              help='Page or form context as a JSON object, e.g. \'{"page": "https://..."}\'.')
@click.option("--ref", "referral_code", default=None, metavar="CODE", help="Referral code.")
@click.option("--key", default=None, help="Idempotency key: the same key never makes two requests.")
@click.option("--no-consent", is_flag=True,
              help="The person did not ask for this call (the calling-hours guard then applies).")
@click.option("--batch", type=click.File("r", encoding="utf-8"), default=None, metavar="FILE|-",
              help="JSONL, one request a line (keys: phone, name, reason, slot or now, context, ref, key).")
@tenant_option
@output_options
def request_cmd(phone, name, reason, slot, immediate, context_json, referral_code, key, no_consent, batch,
                tenant_slug, fmt) -> None:
    """Ask for a call-back now (--now) or in a slot (--slot), or many from a JSONL file (--batch).

    Each request books a seat in its slot (never more than the slot's capacity), becomes a
    queue item waiting until the slot starts, and, when the tenant has SMS, gets a confirmation.
    Exit codes: 1 when the slot is full, 2 for a bad phone number or a closed or past slot.

    \b
    Examples:
      ccctl callback request --phone "06 12 34 56 78" --name "Élodie Martin" \\
          --reason "Modifier ma réservation" --slot "2026-11-24 10:30" \\
          --context '{"page": "https://voyages.example/rome"}' --ref PARTNER42
      ccctl callback request --phone +33612345678 --now
      ccctl callback request --batch requests.jsonl      # or - for stdin
    """
    if batch is not None:
        if phone or slot or immediate:
            raise click.UsageError("--batch takes its requests from the file; drop --phone/--slot/--now")
        _run_batch(batch, tenant_slug, fmt)
        return
    if not phone:
        raise click.UsageError("give --phone (or --batch FILE)")
    if bool(slot) == immediate:
        raise click.UsageError("give exactly one of --slot or --now")
    context = _parse_context(context_json, "--context")
    from ccctl_callback.requests import RequestInput, create_request, write_transaction
    from ccctl_callback.slots import parse_slot

    with tenant_session(tenant_slug) as (app, session, tenant):
        data = RequestInput(phone=phone, name=name, reason=reason, context=context, referral_code=referral_code,
                            ref=key, consent=not no_consent,
                            slot=parse_slot(slot, tenant) if slot else None)
        write_transaction(session)
        request, created = create_request(app.context(session, tenant), data)
        row = _request_row(tenant, request)
    if not created:
        click.echo(f"request {request.id} already exists for key {key}", err=True)
    emit_object(row, fmt)


def _parse_context(text: str | None, where: str) -> dict:
    import json

    from ccctl.errors import InputError

    if text is None or text == "":
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(value, dict):
        raise InputError(f"{where}: must be a JSON object, e.g. {{\"page\": \"https://...\"}}")
    return value


def _request_row(tenant, request) -> dict:
    from ccctl_callback.slots import local_zone

    zone = local_zone(tenant)
    return {"request": request.id, "item": request.item_id, "customer": request.customer_id,
            "name": request.name, "phone": request.phone,
            "slot": request.slot_start.astimezone(zone).strftime("%Y-%m-%d %H:%M") if request.slot_start else "now",
            "state": request.state, "attempts": request.attempts, "source": request.source,
            "reason": request.reason, "referral_code": request.referral_code, "context": request.context,
            "consent": request.consent}


def _for_people(fmt) -> bool:
    from ccctl.output import resolve_format

    return resolve_format(fmt) == "table"


def _zone_named(local_text: str, moment, zone) -> str:
    """A slot as a person reads it: ``2026-11-24 10:30 CET``. JSON and CSV keep ``2026-11-24 10:30``,
    the tenant's time that ``--slot`` reads back (with ``utc`` beside it on slot rows)."""
    return f"{local_text} {moment.astimezone(zone).tzname()}"


def _run_batch(stream, tenant_slug, fmt) -> None:
    from ccctl.errors import CcctlError
    from ccctl_callback.batch import read_batch, take_line
    from ccctl_callback.requests import write_transaction

    name = "<stdin>" if stream.name == "<stdin>" else stream.name
    lines = read_batch(stream, name)
    rows, failed = [], 0
    with tenant_session(tenant_slug) as (app, session, tenant):
        with click.progressbar(lines, label="Requests", file=click.get_text_stream("stderr"),
                               hidden=len(lines) < 200) as bar:
            for number, record in bar:
                write_transaction(session)
                row = take_line(app.context(session, tenant), name, number, record)
                if row["status"] == "error":
                    session.rollback()
                    failed += 1
                else:
                    session.commit()
                rows.append(row)
    emit(rows, BATCH_COLUMNS, fmt)
    if failed:
        raise CcctlError(f"{failed} of {len(rows)} request(s) failed (see the error column); "
                         "the others are stored, and re-running the file creates none twice")


@callback.command("slots")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Day (YYYY-MM-DD, tenant's calendar); default: today.")
@click.option("--days", type=click.IntRange(1, 366), default=1, show_default=True, help="How many days.")
@click.option("--open", "only_open", is_flag=True, help="Only slots that can still be booked.")
@tenant_option
@output_options
def slots_cmd(day, days, only_open, tenant_slug, fmt) -> None:
    """List a day's call-back slots with their seats: open, full, past, too-soon or too-far.

    \b
    Examples:
      ccctl callback slots --date 2026-11-24
      ccctl callback slots --date 2026-11-24 --days 7 --open --format csv
    """
    from datetime import timedelta

    from ccctl.db.models import utcnow
    from ccctl_callback.requests import enabled_config
    from ccctl_callback.slots import local_zone, slots_on

    now = utcnow()
    with tenant_session(tenant_slug, commit=False) as (_app, session, tenant):
        cfg = enabled_config(tenant)
        zone = local_zone(tenant)
        first = day.date() if day else now.astimezone(zone).date()
        slots = [s for offset in range(days)
                 for s in slots_on(session, tenant, cfg, first + timedelta(days=offset), now)
                 if not only_open or s.status == "open"]
        rows = [s.row(zone) for s in slots]
    if _for_people(fmt):
        for row, slot in zip(rows, slots, strict=True):
            row["start"] = _zone_named(row["start"], slot.start, zone)
    emit(rows, SLOT_COLUMNS, fmt)


@callback.command("list")
@click.option("--state", type=click.Choice(["scheduled", "reached", "wrong-number", "cancelled", "exhausted"]),
              default=None, help="Only requests in this state.")
@click.option("--limit", type=click.IntRange(1, 100000), default=100, show_default=True)
@tenant_option
@output_options
def list_cmd(state, limit, tenant_slug, fmt) -> None:
    """List call-back requests, soonest slot first, with the calls other plugins scheduled (source
    ``fulfil``: the follow-up of a brochure sent, its reason naming the request and what was sent).

    \b
    Example:
      ccctl callback list --state scheduled --format json
    """
    from datetime import UTC, datetime

    from sqlalchemy import select

    from ccctl.output import resolve_format
    from ccctl_callback.models import CallbackRequest
    from ccctl_callback.slots import local_zone

    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        query = select(CallbackRequest).where(CallbackRequest.tenant_id == tenant.id)
        if state:
            query = query.where(CallbackRequest.state == state)
        query = query.order_by(CallbackRequest.slot_start.is_(None).desc(), CallbackRequest.slot_start,
                               CallbackRequest.id).limit(limit)
        requests = list(session.scalars(query))
        keyed = [(r.slot_start, _request_row(tenant, r)) for r in requests]
        if _for_people(fmt):
            zone = local_zone(tenant)
            for slot_start, row in keyed:
                if slot_start:
                    row["slot"] = _zone_named(row["slot"], slot_start, zone)
        ctx = app.context(session, tenant)
        for answer in ctx.hook("ccctl_list_callbacks")(state=state, limit=limit, ctx=ctx):
            keyed += [(row.get("slot"), row) for row in answer or []]
    # "now" first, then by slot (a stable sort: the requests keep their order among equals)
    keyed.sort(key=lambda pair: (pair[0] is not None, pair[0] or datetime.min.replace(tzinfo=UTC)))
    columns = REQUEST_COLUMNS + (["reason"] if resolve_format(fmt) in ("table", "csv") else ["reason", "context"])
    emit([row for _slot, row in keyed[:limit]], columns, fmt, tz=tenant.timezone)


@callback.command("show")
@click.argument("item_id", type=int)
@click.option("--limit", type=int, default=20, show_default=True, help="Newest N events of the timeline.")
@tenant_option
@output_options
def show_cmd(item_id, limit, tenant_slug, fmt) -> None:
    """The screen pop for call-back ITEM_ID: who, why, web context, previous attempts, whole history.

    \b
    Example:
      ccctl callback show 4711
    """
    from ccctl_callback.screen import screen_pop

    with tenant_session(tenant_slug, commit=False) as (app, session, tenant):
        record = screen_pop(app.context(session, tenant), item_id, limit)
    emit_object(record, fmt)


@callback.command("dial")
@click.argument("item_id", type=int)
@click.option("--agent", required=True, envvar="CCCTL_AGENT", help="Agent making the call.")
@click.option("--agent-phone", default=None, help="Agent's phone (default: plugins.callback.agent_phones).")
@click.option("--manual", is_flag=True, help="The agent dialled by hand: only record --outcome.")
@click.option("--outcome", type=click.Choice(["reached", "no-answer", "wrong-number", "cancelled"]),
              default=None, help="With --manual: how the call went.")
@click.option("--note", default="", help="With --manual: a note kept with the attempt.")
@click.option("--duration", default=None, metavar="TIME",
              help="With --manual --outcome reached|wrong-number: talk time, billed per started minute; "
                   "a bare number is minutes (4), or 4m, or seconds as 95s.")
@tenant_option
@output_options
def dial_cmd(item_id, agent, agent_phone, manual, outcome, note, duration, tenant_slug, fmt) -> None:
    """Call back ITEM_ID: Twilio rings the agent, then bridges the customer; or record a manual call.

    Outside the tenant's calling hours the call is refused (a request is the person's consent,
    so for requests only the opening hours count). A no-answer is re-scheduled with the
    tenant's backoff until max_attempts; every attempt goes into the customer's history.

    \b
    Examples:
      ccctl callback dial 4711 --agent marie
      ccctl callback dial 4711 --agent marie --manual --outcome no-answer --note "messagerie"
      ccctl callback dial 4711 --agent marie --manual --outcome reached --duration 95s
    """
    from ccctl_callback.requests import request_for_item

    if manual and not outcome:
        raise click.UsageError("--manual needs --outcome reached|no-answer|wrong-number|cancelled")
    if not manual and (outcome or note or duration):
        raise click.UsageError("--outcome, --note and --duration go with --manual "
                               "(Twilio reports the outcome and the talk time itself)")
    seconds = None
    if duration is not None:
        from ccctl_callback.billing import parse_manual_duration

        if outcome not in ("reached", "wrong-number"):
            raise click.UsageError(f"--duration goes with --outcome reached or wrong-number: "
                                   f"a '{outcome}' call had no talk time")
        seconds = parse_manual_duration(duration)
    with tenant_session(tenant_slug) as (app, session, tenant):
        ctx = app.context(session, tenant)
        ctx.actor = agent
        request = request_for_item(ctx, item_id)
        if manual:
            row = _manual(ctx, request, agent, outcome, note, seconds)
        else:
            from ccctl_callback.dialer import plan_call

            planned = plan_call(ctx, request, agent, agent_phone)
    if not manual:
        row = _place(tenant_slug, item_id, planned)
    emit_object(row, fmt)


def _place(tenant_slug, item_id, planned) -> dict:
    """The Twilio request runs between two transactions: no write lock is held while it waits."""
    from ccctl.errors import CcctlError
    from ccctl_callback.dialer import place_call, record_call

    answer = place_call(planned)
    with tenant_session(tenant_slug) as (app, session, tenant):
        attempt = record_call(app.context(session, tenant), planned, answer)
        row = None if attempt is None else {"item": item_id, "attempt": attempt.number, "call_sid": attempt.call_sid,
                                            "status": attempt.status, "agent": planned.agent}
    if answer.kind == "refused":
        raise CcctlError(answer.reason)
    if answer.kind == "unknown":
        raise CcctlError(f"item {item_id}: Twilio's answer was lost ({answer.reason}); the call may be ringing. "
                         f"Attempt {row['attempt']} is kept and its status callbacks will settle it; "
                         "check before dialling again")
    return row


def _manual(ctx, request, agent, outcome, note, seconds=None) -> dict:
    from ccctl_callback.outcomes import record_outcome, start_attempt

    # Cancelling is not a call: no calling-hours check for it.
    attempt = start_attempt(ctx, request, agent, "manual", check_hours=outcome != "cancelled")
    attempt.duration_seconds = seconds
    result = record_outcome(ctx, request, attempt, outcome, note)
    return {"item": request.item_id, "attempt": attempt.number, "outcome": outcome, "state": result["state"],
            "next_attempt": result["next_attempt"], "duration_seconds": seconds}
