"""The one contract between ccctl's core and its plugins.

Register-callback hooks receive a ``register`` function; event hooks receive
the object and a :class:`ccctl.context.TenantContext` (``ctx``) holding the
tenant, the database session and the application.  Event hooks made for a
tenant only reach the plugins that tenant enables.
"""

from __future__ import annotations

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("ccctl")
hookimpl = HookimplMarker("ccctl")


@hookspec
def ccctl_register_commands(cli):
    """Add click commands or groups to the ``cli`` group."""


@hookspec
def ccctl_config_schema(register):
    """Call ``register(section, model)`` with a pydantic model for the plugin's tenant YAML section."""


@hookspec
def ccctl_migrations(register):
    """Call ``register(path)`` with a folder of Alembic revisions owned by the plugin."""


@hookspec
def ccctl_register_routes(register):
    """Call ``register(path, endpoint, methods=..., name=...)`` to serve a route under ``/t/<tenant>/``."""


@hookspec
def ccctl_item_created(item, ctx):
    """A queue item was created for ``ctx.tenant`` (routing is done, ``item.id`` is set)."""


@hookspec
def ccctl_item_closed(item, ctx):
    """A queue item was closed with ``item.outcome``."""


@hookspec
def ccctl_customer_merged(source, target, ctx):
    """``source`` was merged into ``target``: move any plugin-owned rows that point at ``source``."""


@hookspec
def ccctl_customer_export(customer, ctx):
    """Return a JSON-ready dict of everything the plugin holds about ``customer`` (or None)."""


@hookspec
def ccctl_customer_erased(customer, ctx):
    """Erase every personal datum the plugin holds about ``customer``."""


@hookspec
def ccctl_billing_usage(tenant, start, end, ctx):
    """Return billable usage lines between ``start`` and ``end`` (aware datetimes, end excluded).

    Each line is a dict: ``unit`` (``"sms_segment"`` or ``"callback_minute"``, or a unit
    the tenant's ``billing.extra`` rates name), ``quantity`` (int or Decimal) and an
    optional ``description``. ``ccctl report billing`` prices them with the tenant's rates.
    """


@hookspec
def ccctl_self_service_events(tenant, start, end, ctx):
    """Return the times (aware datetimes in ``[start, end)``) at which self-service answered someone
    without an agent and without a history entry (e.g. FAQ article views); ``report kpi`` counts them
    as deflected contacts."""


@hookspec(firstresult=True)
def ccctl_send_notification(to, template, data, ctx, kind, idempotency_key, send_at):
    """Queue a notification (an SMS) to ``to``; return its outbox id, or None if no plugin sends one.

    ``kind`` is ``"transactional"`` or ``"marketing"``; ``idempotency_key`` makes a re-run harmless.
    """


@hookspec
def ccctl_suggest(item, text, ctx):
    """Return a list of suggestions (dicts with ``title``, ``url``, ``score``) for a new item's text."""


@hookspec(firstresult=True)
def ccctl_auto_answer(item, answer, ctx):
    """Send ``answer`` (dict: ``slug``, ``title``, ``url``, ``text``) as the reply to ``item``; return True if sent.

    Called by the selfhelp plugin when an FAQ article strongly matches a new item and the tenant
    allows automatic answers; a plugin that can reply on ``item.channel`` (email) implements it.
    """


# --- Retention (reach: every loaded plugin, as erase does: a switched-off plugin's old rows go too).


@hookspec
def ccctl_retention_kinds(register):
    """Register the retention kinds this plugin keeps data for: ``register("mail", "e-mails older than this")``.

    Kind: register. Reach: every loaded plugin. A tenant's YAML ``retention`` may name these kinds.
    """


@hookspec
def ccctl_apply_retention(policy, now, dry_run, ctx):
    """Delete (with ``dry_run``: only count) this plugin's rows of ``ctx.tenant`` older than ``policy[kind]``
    (a ``timedelta``) for the kinds it registered; return ``{kind: rows}``.

    Kind: command. Reach: every loaded plugin. Example::

        if "mail" in policy:
            return {"mail": delete_mail_before(ctx, now - policy["mail"], dry_run)}
    """
