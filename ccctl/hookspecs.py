"""The one contract between ccctl's core and its plugins.

Every hook declares, through :func:`spec`, how far a call reaches and what kind of hook it is:

* reach ``TENANT``: only the plugins the tenant enables (and core/host code);
  reach ``EVERY``: every loaded plugin, enabled or not (start-up, and a person's rights:
  a plugin switched off today may still hold data from when it was on).
* kind ``REGISTER``: called once at start-up with a ``register`` callback;
  ``EVENT``: something happened (past tense), return values are ignored;
  ``COMMAND``: core asks the plugins to do or return something (imperative name).

Callers never choose the reach themselves: :func:`ccctl.plugins.hook_caller` and
:func:`ccctl.plugins.call_hook` read it from :data:`CONTRACTS`.  ``ctx`` is a
:class:`ccctl.context.TenantContext` (``ctx.tenant``, ``ctx.session``, ``ctx.app``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:  # annotations only: nothing heavy is imported at start-up
    from datetime import datetime, timedelta
    from pathlib import Path

    import click

    from ccctl.context import TenantContext
    from ccctl.db.models import Customer, WorkItem

hookspec = HookspecMarker("ccctl")
hookimpl = HookimplMarker("ccctl")

TENANT = "the tenant's enabled plugins"
EVERY = "every loaded plugin"
EVENT, COMMAND, REGISTER = "event", "command", "register"


@dataclass(frozen=True)
class Contract:
    """What a hook promises: who hears it, what kind it is, whether the first answer wins."""

    name: str
    reach: str
    kind: str
    firstresult: bool = False


CONTRACTS: dict[str, Contract] = {}

# Old hook name -> new one.  An implementation under an old name still registers (with a
# DeprecationWarning) for one release; see ccctl.plugins.CcctlPluginManager.
RENAMED: dict[str, str] = {
    "ccctl_config_schema": "ccctl_register_config_schema",      # register hooks say "register"
    "ccctl_migrations": "ccctl_register_migrations",
    "ccctl_customer_export": "ccctl_export_customer",            # commands are imperative
    "ccctl_customer_erased": "ccctl_erase_customer",             # ...it never was an event
    "ccctl_billing_usage": "ccctl_report_usage",
    "ccctl_self_service_events": "ccctl_list_self_service_events",
    "ccctl_suggest": "ccctl_suggest_answers",
}
# Arguments a renamed hook no longer passes: an old implementation still gets them (from ctx).
DROPPED_ARGS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "ccctl_report_usage": {"tenant": lambda ctx: ctx.tenant},   # ``tenant`` was passed beside ``ctx``
    "ccctl_list_self_service_events": {"tenant": lambda ctx: ctx.tenant},
}


def spec(reach: str, kind: str, firstresult: bool = False) -> Callable:
    """Declare a hookspec with its reach and kind (recorded in :data:`CONTRACTS`)."""
    if reach not in (TENANT, EVERY) or kind not in (EVENT, COMMAND, REGISTER):
        raise ValueError(f"bad hook declaration: reach={reach!r} kind={kind!r}")

    def declare(function: Callable) -> Callable:
        CONTRACTS[function.__name__] = Contract(function.__name__, reach, kind, firstresult)
        return hookspec(firstresult=firstresult)(function)

    return declare


@spec(EVERY, REGISTER)
def ccctl_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``cli`` group.

    Example::

        @hookimpl
        def ccctl_register_commands(cli):
            @cli.command()
            def hello():
                click.echo("bonjour")
    """


@spec(EVERY, REGISTER)
def ccctl_register_config_schema(register: Callable[[str, type], None]) -> None:
    """Call ``register(section, model)`` with a pydantic model for the plugin's tenant YAML section.

    Example: ``register("chat", ChatConfig)`` where ``ChatConfig(PluginSection)``.
    """


@spec(EVERY, REGISTER)
def ccctl_register_migrations(register: Callable[[Path], None]) -> None:
    """Call ``register(path)`` with a folder of Alembic revisions owned by the plugin.

    Example: ``register(Path(__file__).parent / "migrations")``.
    """


@spec(EVERY, REGISTER)
def ccctl_register_routes(register: Callable[..., None]) -> None:
    """Call ``register(path, endpoint, methods=..., name=...)`` to serve a route under ``/t/<tenant>/``.

    Example: ``register("/chat/hook", receive, methods=("POST",), name="chat-hook")``.
    """


@spec(TENANT, EVENT)
def ccctl_item_created(item: WorkItem, ctx: TenantContext) -> None:
    """A queue item was created for ``ctx.tenant`` (routing is done, ``item.id`` is set).

    Example: ``if item.channel == "chat": ctx.session.add(ChatLink(item_id=item.id, ...))``.
    """


@spec(TENANT, EVENT)
def ccctl_item_closed(item: WorkItem, ctx: TenantContext) -> None:
    """A queue item was closed with ``item.outcome``.

    Example: ``if item.channel == "chat": close_conversation(ctx, item.external_ref)``.
    """


@spec(EVERY, EVENT)
def ccctl_customer_merged(source: Customer, target: Customer, ctx: TenantContext) -> dict[str, Any] | None:
    """``source`` was merged into ``target``: move any plugin-owned rows that point at ``source``.

    Return what was moved (JSON-ready, e.g. ``{"sms_messages": [ids]}``): the merge trace keeps it
    and ``ccctl_customer_unmerged`` hands it back if the merge is undone.
    Every loaded plugin hears it (rows written while the plugin was on must follow the person).
    Example: ``ctx.session.execute(update(ChatMessage).where(ChatMessage.customer_id == source.id)
    .values(customer_id=target.id))``.
    """


@spec(EVERY, COMMAND)
def ccctl_export_customer(customer: Customer, ctx: TenantContext) -> dict[str, Any] | None:
    """Return a JSON-ready dict of everything the plugin holds about ``customer`` (or None).

    Example: ``return {"messages": [m.text for m in messages_of(ctx, customer)]} or None``.
    """


@spec(EVERY, COMMAND)
def ccctl_erase_customer(customer: Customer, ctx: TenantContext) -> None:
    """Erase every personal datum the plugin holds about ``customer``.

    Every loaded plugin is asked, enabled by the tenant or not.
    Example: ``ctx.session.execute(delete(ChatMessage).where(ChatMessage.customer_id == customer.id))``.
    """


@spec(EVERY, COMMAND)
def ccctl_report_usage(start: datetime, end: datetime, ctx: TenantContext) -> list[dict[str, Any]]:
    """Return billable usage lines between ``start`` and ``end`` (aware datetimes, end excluded).

    Each line is a dict: ``unit`` (``"sms_segment"`` or ``"callback_minute"``, or a unit
    the tenant's ``billing.extra`` rates name), ``quantity`` (int or Decimal) and an
    optional ``description``. ``ccctl report billing`` prices them with the tenant's rates.
    Example: ``return [{"unit": "chat_session", "quantity": 12}]``.
    """


@spec(TENANT, COMMAND)
def ccctl_list_self_service_events(start: datetime, end: datetime, ctx: TenantContext) -> list[datetime]:
    """Return the times (aware datetimes in ``[start, end)``) at which self-service answered someone
    without an agent and without a history entry (e.g. FAQ article views); ``report kpi`` counts them
    as deflected contacts.

    Example: ``return [v.viewed_at for v in views_between(ctx, start, end)]``.
    """


@spec(TENANT, COMMAND, firstresult=True)
def ccctl_send_notification(to: str, template: str, data: dict[str, Any], ctx: TenantContext, kind: str,
                            idempotency_key: str, send_at: datetime | None) -> int | None:
    """Queue a notification (an SMS) to ``to``; return its outbox id, or None if no plugin sends one.

    ``kind`` is ``"transactional"`` or ``"marketing"``; ``idempotency_key`` makes a re-run harmless.
    Example: ``return queue_sms(ctx, to, render(template, data), key=idempotency_key).id``.
    """


@spec(TENANT, COMMAND)
def ccctl_suggest_answers(item: WorkItem | None, text: str, ctx: TenantContext) -> list[dict[str, Any]]:
    """Return a list of suggestions (dicts with ``title``, ``url``, ``score``) for an item's text.

    ``ccctl item show`` lists them under ``suggestions``.
    Example: ``return [{"title": a.title, "url": a.url, "score": 0.9}]``.
    """


@spec(TENANT, COMMAND, firstresult=True)
def ccctl_auto_answer(item: WorkItem, answer: dict[str, Any], ctx: TenantContext) -> bool | None:
    """Send ``answer`` (dict: ``slug``, ``title``, ``url``, ``text``) as the reply to ``item``; return True if sent.

    Called by the selfhelp plugin when an FAQ article strongly matches a new item and the tenant
    allows automatic answers; a plugin that can reply on ``item.channel`` (email) implements it.
    Example: ``if item.channel == "chat": return send_chat(ctx, item, answer["text"])``.
    """


# --- Retention (reach: every loaded plugin, as erase does: a switched-off plugin's old rows go too).


@spec(EVERY, REGISTER)
def ccctl_retention_kinds(register: Callable[[str, str], None]) -> None:
    """Register the retention kinds this plugin keeps data for: ``register("mail", "e-mails older than this")``.

    Kind: register. Reach: every loaded plugin. A tenant's YAML ``retention`` may name these kinds.
    Example: ``register("chat", "chat messages older than this")``.
    """


@spec(EVERY, COMMAND)
def ccctl_apply_retention(policy: dict[str, timedelta], now: datetime, dry_run: bool,
                          ctx: TenantContext) -> dict[str, int] | None:
    """Delete (with ``dry_run``: only count) this plugin's rows of ``ctx.tenant`` older than ``policy[kind]``
    (a ``timedelta``) for the kinds it registered; return ``{kind: rows}``.

    Kind: command. Reach: every loaded plugin. Example::

        if "mail" in policy:
            return {"mail": delete_mail_before(ctx, now - policy["mail"], dry_run)}
    """


@spec(EVERY, COMMAND)
def ccctl_list_tenant_files(ctx: TenantContext) -> list[Path] | None:
    """The files and folders on this machine that hold ``ctx.tenant``'s data (token folders, dry-run
    logs, documents of its YAML...): ``tenant delete`` lists them on ``--dry-run`` and deletes them
    with the tenant's rows. Declare paths whether or not they exist; a path another tenant also
    declares (or one inside the other) is kept and named as shared.

    Kind: command. Reach: every loaded plugin (a switched-off plugin's files go too). Example::

        return [token_dir() / ctx.tenant.slug]
    """


@spec(EVERY, COMMAND)
def ccctl_list_tenant_delete_blockers(ctx: TenantContext) -> list[str] | None:
    """What ``ctx.tenant`` still holds outside this machine that only the plugin can delete (recordings at a
    provider...), each a sentence naming how much and the command that deletes it. ``tenant delete`` (and
    its ``--dry-run``) lists them and refuses while any is left: once the rows and the YAML's credentials
    are gone, nobody could delete that data any more. Count from the database only: no network call.

    Kind: command. Reach: every loaded plugin (a switched-off plugin's remote data counts too). Example::

        n = recordings_left(ctx.session, ctx.tenant.id)
        return [f"{n} recording(s) at Twilio: run ccctl voice purge-recordings -t {ctx.tenant.slug} --all-calls"]
    """


@spec(TENANT, REGISTER)
def ccctl_tenant_status(app: Any, tenant: Any, report: Callable[..., None]) -> None:
    """Health checks for ``ccctl status``: call ``report(check, ok, detail, **figures)`` once per check
    (settings and secrets usable, provider reachable, backlog, stuck rows). Network probes (only when
    ``report.probe``) must have a timeout and run with no database transaction open (open your own
    short sessions from ``app``).

    Reach: the tenant's enabled plugins. Kind: register.

    Example: ``report("provider", ok=reachable, detail="api.twilio.com answered in 0.2 s")``.
    """


# --- Voice (the voice and callback plugins, report kpi).


@spec(TENANT, EVENT)
def ccctl_item_claimed(item: WorkItem, agent: str, ctx: TenantContext) -> dict[str, Any] | None:
    """``agent`` (a name) claimed ``item`` through ``queue next`` (or ``item close --next``).

    Kind: event. Reach: the tenant's enabled plugins. Called after the claim is committed, with no transaction open on ``ctx.session``: an
    implementation that calls out (the voice plugin connects the waiting caller through
    Twilio) must not hold a write transaction during it. Return a JSON-ready dict shown
    with the claimed item (or None); raise ``CcctlError`` when the item cannot be worked.

    Example: ``return {"connected_call": call.call_sid}`` after redirecting the waiting caller.
    """


@spec(TENANT, COMMAND, firstresult=True)
def ccctl_request_callback(phone: str, name: str, customer_id: int | None, due_at: datetime | None, reason: str,
                           context: dict[str, Any], idempotency_key: str, ctx: TenantContext) -> int | None:
    """Book a call-back to ``phone`` as soon as possible, queued as if it had been asked at ``due_at``
    (a waiting caller keeps their place; None: the first open slot). Return the call-back's work
    item id, or None when no plugin takes call-backs (or not now).

    Kind: command (first result wins). Reach: the tenant's enabled plugins. Called inside the caller's write transaction; ``idempotency_key`` makes a retry harmless.

    Example: ``return create_request(ctx, RequestInput(phone=phone, name=name, ...)).item_id``.
    """


@spec(TENANT, COMMAND)
def ccctl_kpi_columns(period: Any, by: str, ctx: TenantContext) -> dict[str, Any] | None:
    """More columns for ``report kpi`` over ``period`` (``ccctl.reports.period.Period``) cut by
    ``by`` ("day" or "hour"), for ``ctx.tenant``. Kind: command. Reach: the tenant's enabled plugins.

    Return None or ``{"columns": [names], "rows": {period label or "total": {name: value}}}``;
    a period with no entry shows empty cells. Figures per queue go in columns named
    ``q_<queue>_<name>`` (as the volume columns ``q_<queue>``). The table shows the base
    columns (120 wide); every plugin column is in ``--wide``, ``--format csv`` and ``json``.

    Example: ``return {"columns": ["calls_offered"], "rows": {"total": {"calls_offered": 42}}}``.
    """
# --- Added for client-site integration (issue 18): events other plugins may forward (e.g. as webhooks).


@spec(TENANT, EVENT)
def ccctl_item_assigned(item: WorkItem, agent: str, ctx: TenantContext) -> None:
    """Event, the tenant's enabled plugins: ``item`` was handed to agent ``agent`` (a claim or a transfer).

    It runs in the transaction of the transfer or the claim (``queue next``, ``item close --next``):
    what the plugin writes commits with the claim or not at all. Write only; no network call here.

    Example: ``outbox.add(ctx, "item.assigned", {"item": item.id, "agent": agent})``.
    """


@spec(TENANT, EVENT)
def ccctl_item_answered(item: WorkItem, channel: str, ctx: TenantContext) -> None:
    """Event, the tenant's enabled plugins: a reply to ``item`` was queued on ``channel`` (e.g. ``"email"``),
    in the transaction that queued it.

    Example: ``outbox.add(ctx, "item.answered", {"item": item.id, "channel": channel})``.
    """


@spec(TENANT, EVENT)
def ccctl_channel_event(name: str, data: dict[str, Any], ctx: TenantContext) -> None:
    """Event, the tenant's enabled plugins: a channel plugin reports ``name`` (``"callback.booked"``,
    ``"callback.done"``, ``"sms.delivered"``, ``"sms.failed"``) with ``data`` (a JSON-ready dict),
    in the transaction of the change.

    Example: ``ctx.hook("ccctl_channel_event")(name="sms.delivered", data={"sms": row.id}, ctx=ctx)``.
    """


@spec(TENANT, COMMAND)
def ccctl_customer_context(customer: Customer, ctx: TenantContext) -> list[dict[str, Any]] | None:
    """Register-like collect, the tenant's enabled plugins: return a list of recent context entries the
    plugin holds about ``customer`` (dicts: ``time`` aware datetime, ``source``, ``what``, ``detail``);
    ``customer show`` and the call-back screen pop show them together, newest first.

    Example: ``return [{"time": event.at, "source": "site", "what": "viewed", "detail": "Lisbonne"}]``.
    """


@spec(TENANT, COMMAND, firstresult=True)
def ccctl_send_email(item: WorkItem, to: str, subject: str, body: str, attachments: list[tuple[str, bytes, str]],
                     kind: str, ctx: TenantContext) -> int | None:
    """Command, the tenant's enabled plugins, first result wins: queue an e-mail about ``item`` to ``to``
    in the plugin's outbox (sent later, outside the transaction); return its outbox id, or None when no
    plugin can send mail for the tenant. ``attachments``: list of ``(filename, bytes, content_type)``;
    ``kind``: a short word for the history (e.g. ``"brochure"``).

    Example: ``return queue_mail(ctx, config, kind=kind, item=item, to=to, subject=subject, body=body, ...).id``.
    """


@spec(TENANT, COMMAND, firstresult=True)
def ccctl_item_send(item: WorkItem, what: str, ctx: TenantContext) -> str | None:
    """Command, the tenant's enabled plugins, first result wins: send ``what`` (``"brochure:NAME"``) to the
    customer of ``item`` (``item close --send``), in the close's transaction; return a one-line description
    of what was done, or None when ``what`` is not the plugin's.

    Example: ``if what.startswith("brochure:"): return f"brochure {name} e-mailed"``.
    """


@spec(EVERY, EVENT)
def ccctl_customer_unmerged(source: Customer, target: Customer, moved: Any, ctx: TenantContext) -> None:
    """Merge undone (``customer unmerge``): put back on ``source`` the rows listed in ``moved``, which is
    what this plugin's ``ccctl_customer_merged`` returned for that merge (a plugin that returned None is
    not called). Reach: every loaded plugin, as for the merge. Kind: event.

    Example: ``move_back(ctx.session, ChatMessage, moved["chat_messages"], target.id, source.id)``.
    """


# --- Fulfilment (issue 18): documents offered on the contact form, follow-ups listed with call-backs,
# and every inbound contact heard (a follow-up is no longer needed when the customer got in touch).


@spec(TENANT, COMMAND)
def ccctl_contact_form_documents(tenant: Any, language: str) -> list[dict[str, str]] | None:
    """Command, the tenant's enabled plugins: return the documents a visitor may ask for on the tenant's
    contact form (``/t/<tenant>/contact``) in ``language`` (e.g. ``"fr"``), as dicts ``name``, ``title``
    and ``send_by`` (``"email"`` or ``"post"``: the form then asks for a postal address). The form offers
    them in a select; a submission naming one creates its item with the attributes ``brochure`` (the
    name) and ``language``, which the plugin fulfils from ``ccctl_item_created``. ``tenant`` is the
    tenant row (no session is open: read its settings only).

    Example: ``return [{"name": "japon", "title": "Circuit Japon", "send_by": "email"}]``.
    """


@spec(TENANT, COMMAND)
def ccctl_list_callbacks(state: str | None, limit: int, ctx: TenantContext) -> list[dict[str, Any]] | None:
    """Command, the tenant's enabled plugins: return the calls this plugin has scheduled (e.g. fulfilment
    follow-ups), at most ``limit``, only those in ``state`` when given (``scheduled``, ``cancelled``...),
    for ``ccctl callback list`` to show beside the call-back requests. Each row has the list's keys
    (``request``, ``item``, ``customer``, ``name``, ``phone``, ``state``, ``attempts``, ``source``,
    ``reason``, ``context``) and ``slot``: an aware datetime (shown in the tenant's zone, zone named).

    Example: ``return [{"item": 12, "slot": due, "state": "scheduled", "source": "fulfil", ...}]``.
    """


@spec(TENANT, EVENT)
def ccctl_customer_contacted(customer_ids: list[int], channel: str, ctx: TenantContext) -> None:
    """Event, the tenant's enabled plugins: these customers got in touch on ``channel``, fired by the
    channel plugin as it records the contact, before any item it makes, in the same transaction: the
    email plugin for each mail written by a person (a new thread or a reply joining one), the voice
    plugin for each inbound call from a known number (answered, queued or not). A contact that creates
    an item is also heard through ``ccctl_item_created``.

    Example: ``cancel_follow_ups(ctx, customer_ids, reason=f"the customer got in touch by {channel}")``.
    """
