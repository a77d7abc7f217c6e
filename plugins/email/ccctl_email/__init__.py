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
