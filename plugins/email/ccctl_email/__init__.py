"""ccctl email channel plugin (registered through the `ccctl` entry-point group).

Ingest (stdin, .eml, Maildir, mbox, IMAP), thread, acknowledge and reply, per tenant.
Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_config_schema(register):
    from ccctl_email.config import EmailConfig

    register("email", EmailConfig)


@hookimpl
def ccctl_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_email.commands import email

    cli.add_command(email)


@hookimpl
def ccctl_auto_answer(item, answer, ctx):
    """Queue selfhelp's FAQ answer to the sender of a new email item; True when queued (sent with the acks)."""
    if item.channel != "email":
        return None
    import click

    from ccctl_email.autoanswer import queue_auto_answer

    try:
        queued = queue_auto_answer(ctx, item, answer)
    except click.ClickException as exc:  # e.g. a tenant template naming an unknown variable
        click.echo(f"warning: no automatic answer for item {item.id}: {exc.format_message()}", err=True)
        return None
    return True if queued is not None else None


@hookimpl
def ccctl_customer_export(customer, ctx):
    from ccctl_email.privacy import export

    return export(customer, ctx)


@hookimpl
def ccctl_customer_erased(customer, ctx):
    from ccctl_email.privacy import erase

    erase(customer, ctx)


@hookimpl
def ccctl_customer_merged(source, target, ctx):
    from ccctl_email.privacy import merged

    merged(source, target, ctx)


@hookimpl
def ccctl_retention_kinds(register):
    from ccctl_email.retention import KINDS

    for kind, meaning in KINDS.items():
        register(kind, meaning)


@hookimpl
def ccctl_apply_retention(policy, now, dry_run, ctx):
    from ccctl_email.retention import apply

    return apply(ctx, policy, now, dry_run)
