"""ccctl sms channel plugin (registered through the `ccctl` entry-point group).

Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_config_schema(register):
    from ccctl_sms.config import SmsConfig

    register("sms", SmsConfig)


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_sms.commands import register

    register(cli)


@hookimpl
def ccctl_send_notification(to, template, data, ctx, kind, idempotency_key, send_at):
    """Queue an SMS for another plugin (e.g. the callback plugin's confirmation); the dispatcher sends it."""
    from ccctl_sms.outbox import enqueue

    row, _created = enqueue(ctx.session, ctx.tenant, to, template=template, data=data or {},
                            kind=kind or "transactional", idempotency_key=idempotency_key, send_at=send_at)
    return row.id


@hookimpl
def ccctl_auto_answer(item, answer, ctx):
    """Reply to an SMS item with an FAQ answer (title and link), queued for the next dispatch."""
    if item.channel != "sms" or not (item.attributes or {}).get("from"):
        return None
    from ccctl_sms.outbox import enqueue

    text = f"{answer.get('title', '')} : {answer['url']}" if answer.get("url") else answer.get("text", "")
    row, _created = enqueue(ctx.session, ctx.tenant, item.attributes["from"], body=text.strip(),
                            idempotency_key=f"auto-answer-{item.id}", customer_id=item.customer_id)
    return row.state != "blocked"


@hookimpl
def ccctl_report_usage(start, end, ctx):
    from ccctl_sms.billing import usage_lines

    return usage_lines(ctx.session, ctx.tenant, start, end)


@hookimpl
def ccctl_register_routes(register):
    from ccctl_sms.webhooks import inbound, status_callback

    register("/sms/status", status_callback, methods=("POST",), name="sms-status")
    register("/sms/inbound", inbound, methods=("POST",), name="sms-inbound")


@hookimpl
def ccctl_export_customer(customer, ctx):
    from ccctl_sms.privacy import export

    return export(ctx, customer)


@hookimpl
def ccctl_erase_customer(customer, ctx):
    from ccctl_sms.privacy import erase

    erase(ctx, customer)


@hookimpl
def ccctl_customer_merged(source, target, ctx):
    from ccctl_sms.privacy import merged

    return merged(ctx, source, target)


@hookimpl
def ccctl_tenant_status(app, tenant, report):
    from ccctl_sms.health import tenant_status

    tenant_status(app, tenant, report)


@hookimpl
def ccctl_customer_unmerged(source, target, moved, ctx):
    from ccctl_sms.privacy import unmerged

    unmerged(ctx, source, target, moved)


@hookimpl
def ccctl_list_tenant_files(ctx):
    """The file backend's log of sent messages (numbers and texts), when the tenant has one."""
    path = ctx.tenant.plugin_config("sms").get("file_path")
    return [path] if path else []
