"""ccctl email channel plugin (registered through the `ccctl` entry-point group).

Ingest (stdin, .eml, Maildir, mbox, IMAP), thread, acknowledge and reply, per tenant.
Keep module-level imports light: every ccctl start-up imports this module.
"""

from ccctl.hookspecs import hookimpl


@hookimpl
def ccctl_register_config_schema(register):
    from ccctl_email.config import EmailConfig

    register("email", EmailConfig)


@hookimpl
def ccctl_register_migrations(register):
    from pathlib import Path

    register(Path(__file__).parent / "migrations")


@hookimpl
def ccctl_register_commands(cli):
    from ccctl_email.auth_commands import auth
    from ccctl_email.commands import email

    email.add_command(auth)
    cli.add_command(email)


@hookimpl
def ccctl_auto_answer(item, answer, ctx):
    """Queue selfhelp's FAQ answer to the sender of a new email item; True when queued (sent with the acks)."""
    if item.channel != "email":
        return None
    import click

    from ccctl.errors import DomainError
    from ccctl_email.autoanswer import queue_auto_answer

    try:
        queued = queue_auto_answer(ctx, item, answer)
    except DomainError as exc:  # e.g. a tenant template naming an unknown variable
        click.echo(f"warning: no automatic answer for item {item.id}: {exc.format_message()}", err=True)
        return None
    return True if queued is not None else None


@hookimpl
def ccctl_export_customer(customer, ctx):
    from ccctl_email.privacy import export

    return export(customer, ctx)


@hookimpl
def ccctl_erase_customer(customer, ctx):
    from ccctl_email.privacy import erase

    erase(customer, ctx)


@hookimpl
def ccctl_customer_merged(source, target, ctx):
    from ccctl_email.privacy import merged

    return merged(source, target, ctx)


@hookimpl
def ccctl_customer_unmerged(source, target, moved, ctx):
    from ccctl_email.privacy import unmerged

    unmerged(source, target, moved, ctx)


@hookimpl
def ccctl_send_email(item, to, subject, body, attachments, kind, ctx):
    """Queue a mail for another plugin (e.g. a brochure from fulfilment); ``ccctl email send`` sends it."""
    from ccctl_email.config import email_config

    config = email_config(ctx.tenant)
    if config.smtp is None:
        return None
    from ccctl_email.outbound import queue_mail, tagged_subject

    row = queue_mail(ctx, config, kind=kind[:8], item=item, to=to, subject=tagged_subject(subject, item), body=body,
                     in_reply_to=None, references=[], attachments=list(attachments or ()))
    return row.id


@hookimpl
def ccctl_retention_kinds(register):
    from ccctl_email.retention import KINDS

    for kind, meaning in KINDS.items():
        register(kind, meaning)


@hookimpl
def ccctl_apply_retention(policy, now, dry_run, ctx):
    from ccctl_email.retention import apply

    return apply(ctx, policy, now, dry_run)


@hookimpl
def ccctl_tenant_status(app, tenant, report):
    from ccctl_email.health import tenant_status

    tenant_status(app, tenant, report)


@hookimpl
def ccctl_list_tenant_files(ctx):
    """The tenant's OAuth2 token folder (one token file per mailbox login)."""
    from ccctl_email.tokenstore import token_dir

    return [token_dir() / ctx.tenant.slug]
