"""ccctl callback channel plugin: call-back requests in open slots, dialled through Twilio.

Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_config_schema(register):
    from ccctl_callback.config import CallbackConfig

    register("callback", CallbackConfig)


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_callback.commands import callback

    cli.add_command(callback)


@hookimpl
def ccctl_register_routes(register):
    from ccctl_callback import web

    web.register_routes(register)


@hookimpl
def ccctl_report_usage(start, end, ctx):
    from ccctl_callback.billing import usage_lines

    return usage_lines(ctx.session, ctx.tenant, start, end)


@hookimpl
def ccctl_export_customer(customer, ctx):
    from ccctl_callback.privacy import export

    return export(customer, ctx)


@hookimpl
def ccctl_erase_customer(customer, ctx):
    from ccctl_callback.privacy import erase

    erase(customer, ctx)


@hookimpl
def ccctl_customer_merged(source, target, ctx):
    from ccctl_callback.privacy import merged

    return merged(source, target, ctx)


@hookimpl
def ccctl_tenant_status(app, tenant, report):
    from ccctl_callback.health import tenant_status

    tenant_status(app, tenant, report)


@hookimpl
def ccctl_request_callback(phone, name, customer_id, due_at, reason, context, idempotency_key, ctx):
    from ccctl_callback.from_voice import request_from_call

    return request_from_call(ctx, phone, name, due_at, reason, context, idempotency_key)


@hookimpl
def ccctl_customer_unmerged(source, target, moved, ctx):
    from ccctl_callback.privacy import unmerged

    unmerged(source, target, moved, ctx)
