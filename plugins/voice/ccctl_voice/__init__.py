"""ccctl voice channel plugin: inbound calls (Twilio Programmable Voice) in the universal queue.

Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_config_schema(register):
    from ccctl_voice.config import VoiceConfig

    register("voice", VoiceConfig)


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_routes(register):
    from ccctl_voice import web

    web.register_routes(register)


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_voice.commands import voice

    cli.add_command(voice)


@hookimpl
def ccctl_item_claimed(item, agent, ctx):
    if item.channel != "voice":
        return None
    from ccctl_voice.connect import connect_claimed_call

    return connect_claimed_call(ctx, item, agent)


@hookimpl
def ccctl_export_customer(customer, ctx):
    from ccctl_voice.privacy import export

    return export(customer, ctx)


@hookimpl
def ccctl_erase_customer(customer, ctx):
    from ccctl_voice.privacy import erase

    erase(customer, ctx)


@hookimpl
def ccctl_customer_merged(source, target, ctx):
    """The calls go to the target; what moved is returned so that an unmerge can put it back."""
    from ccctl.identity.merging import move_rows
    from ccctl_voice.models import VoiceCall

    return move_rows(ctx.session, ctx.tenant, (VoiceCall,), source.id, target.id)


@hookimpl
def ccctl_customer_unmerged(source, target, moved, ctx):
    from ccctl.identity.merging import move_rows_back
    from ccctl_voice.models import VoiceCall

    move_rows_back(ctx.session, (VoiceCall,), moved, source.id, target.id)


@hookimpl
def ccctl_report_usage(start, end, ctx):
    from ccctl_voice.reports import usage_lines

    return usage_lines(ctx.session, ctx.tenant, start, end)


@hookimpl
def ccctl_kpi_columns(period, by, ctx):
    from ccctl_voice.reports import kpi_columns

    return kpi_columns(ctx.session, ctx.tenant, period, by)


@hookimpl
def ccctl_retention_kinds(register):
    register("calls", "inbound calls older than this (their recordings are then deleted at Twilio)")


@hookimpl
def ccctl_apply_retention(policy, now, dry_run, ctx):
    from ccctl_voice.privacy import apply_retention

    return apply_retention(policy, now, dry_run, ctx)


@hookimpl
def ccctl_list_tenant_delete_blockers(ctx):
    """The tenant's recordings still at Twilio: `tenant delete` waits until they are deleted there."""
    from ccctl_voice.purge import recordings_left

    left = recordings_left(ctx.session, ctx.tenant.id)
    if not left:
        return None
    off = "" if "voice" in ctx.tenant.enabled_plugins() else " (switch plugins.voice back on, with its Twilio account)"
    return [f"{left} call recording(s) still at Twilio: run ccctl voice purge-recordings -t {ctx.tenant.slug} "
            f"--all-calls{off}"]
