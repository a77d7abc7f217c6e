"""``ccctl email auth``: OAuth2 consent for mailboxes on Microsoft 365 and Google Workspace.

No database transaction is open while these commands talk to a token endpoint or a mail server:
the tenant's settings are read first, the session closed, then the network is used.
"""

from __future__ import annotations

import click

from ccctl.errors import DomainError

from ccctl.commands.options import app_session, tenant_option, tenant_session
from ccctl.output import emit, output_options


@click.group("auth")
def auth() -> None:
    """OAuth2 logins of IMAP/SMTP mailboxes (``auth: oauth2`` in the tenant YAML).

    Tokens are kept in owner-only files under $CCCTL_TOKEN_DIR (never in the database).

    \b
    Examples:
      ccctl email auth login -t voyages-lumiere          # a mailbox user consents once
      ccctl email auth status --all-tenants              # expiry, and whether each login works
    """


def _oauth_mailboxes(tenant) -> list:
    from ccctl.errors import CcctlError
    from ccctl_email.config import email_config
    from ccctl_email.oauth import mailboxes

    if "email" not in tenant.enabled_plugins():
        raise CcctlError(f"tenant {tenant.slug} does not enable the email plugin (plugins.email.enabled)")
    config = email_config(tenant)
    return [(box, config) for box in mailboxes(tenant.slug, config)]


@auth.command("login")
@click.option("--mailbox", metavar="ADDRESS", help="Only this mailbox (default: each auth: oauth2 mailbox).")
@tenant_option
@output_options
def login_cmd(mailbox, tenant_slug, fmt) -> None:
    """Obtain and store a mailbox's OAuth2 tokens.

    Device code (Microsoft): prints an address and a code; a person who can read the mailbox
    opens it, signs in and accepts, while this command waits. Authorization code (Google):
    prints an address, then reads back the address the browser ended on. Client credentials and
    Google service accounts need no login: one token is fetched to prove the admin's grant
    (consent, domain-wide delegation). The tokens are never printed.

    \b
    Examples:
      ccctl email auth login -t voyages-lumiere
      ccctl email auth login -t voyages-lumiere --mailbox support@voyages-lumiere.fr
    """
    from ccctl.errors import CcctlError
    from ccctl_email.oauth import app_login, code_login, device_login

    with tenant_session(tenant_slug, commit=False) as (_app, _session, tenant):
        found = _oauth_mailboxes(tenant)
        slug = tenant.slug
    boxes = [box for box, _config in found if mailbox is None or box.user.lower() == mailbox.lower()]
    if not boxes:
        raise CcctlError(f"tenant {slug}: no imap/smtp section with auth: oauth2"
                         + (f" for mailbox {mailbox}" if mailbox else ""))
    rows = []
    for box in boxes:
        say = lambda text: click.echo(text, err=True)  # noqa: E731  (stdout stays the result)
        if box.oauth.flow == "device_code":
            record = device_login(box, say)
        elif box.oauth.flow == "authorization_code":
            record = code_login(box, say, lambda: click.prompt("address", err=True, default="", show_default=False))
        else:
            record = app_login(box)
            if box.oauth.flow == "service_account":
                say(f"Mailbox {box.user}: the service account acts as {box.subject} by domain-wide delegation: "
                    f"nobody needs to log in; a token was fetched to check it.")
        rows.append({"tenant": slug, "mailbox": box.user, "protocols": ",".join(box.protocols),
                     "flow": box.oauth.flow, "scopes": " ".join(record.scopes),
                     "refresh_token": "stored" if record.refresh_token else "none"})
        missing = [s for s in box.scopes if record.scopes and s not in record.scopes and s != "offline_access"]
        if missing:
            click.echo(f"warning: {slug}: {box.user}: the provider did not grant {' '.join(missing)}", err=True)
    emit(rows, ["tenant", "mailbox", "protocols", "flow", "scopes", "refresh_token"], fmt)


@auth.command("status")
@click.option("--all-tenants", is_flag=True, help="Every tenant with an auth: oauth2 mailbox.")
@click.option("--no-check", is_flag=True, help="Only read the stored tokens: contact no server.")
@tenant_option
@output_options
def status_cmd(all_tenants, no_check, tenant_slug, fmt) -> None:
    """When each mailbox's token expires and whether its login works (tokens never shown).

    The check refreshes a token about to expire and logs in to the IMAP and SMTP servers.
    Exit 1 when a mailbox does not work, naming the tenant and the command that fixes it.

    \b
    Examples:
      ccctl email auth status -t voyages-lumiere
      ccctl email auth status --all-tenants --format json
    """
    from ccctl.errors import CcctlError

    with app_session(commit=False) as (app, session):
        tenants = _tenants(app, session, all_tenants, tenant_slug)
        work = []
        for tenant in tenants:
            try:
                work.append((tenant.slug, tenant.timezone, _oauth_mailboxes(tenant), None))
            except (DomainError, click.ClickException) as exc:
                work.append((tenant.slug, tenant.timezone, [], exc.format_message()))
    rows, failures = [], []
    for slug, _zone, boxes, problem in work:
        if problem:
            failures.append(f"{slug}: {problem}")
            rows.append({"tenant": slug, "works": "no", "problem": problem})
        for box, config in boxes:
            row = _status_row(box, config, check=not no_check)
            rows.append(row)
            if row["works"] == "no":
                failures.append(f"{slug}: {box.user}: {row['problem']}")
    emit(rows, ["tenant", "mailbox", "protocols", "flow", "expires", "refresh_token", "works", "problem"], fmt,
         tz=work[0][1] if len(work) == 1 else None)
    for failure in failures:
        click.echo(f"error: {failure}", err=True)
    if failures:
        raise CcctlError(f"{len(failures)} mailbox(es) cannot log in: " + "; ".join(failures))


def _tenants(app, session, all_tenants: bool, tenant_slug: str | None) -> list:
    if not all_tenants:
        return [app.tenant(session, tenant_slug)]
    from ccctl.tenant_lookup import list_tenants

    return list_tenants(session, plugin="email", where=lambda t: any(
        (t.plugin_config("email").get(p) or {}).get("auth") == "oauth2" for p in ("imap", "smtp")))


def _status_row(box, config, check: bool) -> dict:
    from datetime import datetime, timezone

    import ccctl_email.tokenstore as tokenstore

    row = {"tenant": box.tenant_slug, "mailbox": box.user, "protocols": ",".join(box.protocols),
           "flow": box.oauth.flow, "expires": None, "refresh_token": None, "works": "unchecked", "problem": None}
    try:
        record = tokenstore.load(box.path)
        if record is None and box.oauth.person_consents:
            raise _not_logged_in(box)
        if check:
            _check_login(box, config)
            record = tokenstore.load(box.path)
            row["works"] = "yes"
    except (DomainError, click.ClickException) as exc:
        row["works"], row["problem"] = "no", exc.format_message()
        record = _quiet_load(box)
    if record is not None:
        row["expires"] = datetime.fromtimestamp(record.expires_at, timezone.utc)
        row["refresh_token"] = "stored" if record.refresh_token else "none"
    return row


def _not_logged_in(box):
    from ccctl_email.oauth import ConsentError

    return ConsentError(box.tenant_slug, box.user, "not logged in yet")


def _quiet_load(box):
    import ccctl_email.tokenstore as tokenstore

    try:
        return tokenstore.load(box.path)
    except (DomainError, click.ClickException):
        return None


def _check_login(box, config) -> None:
    """Log in where the mailbox is used (IMAP, SMTP) and out again: refreshes the token if due."""
    if "imap" in box.protocols:
        import contextlib
        import imaplib

        from ccctl_email.imap import connect

        conn = connect(config.imap, box)
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()
    if "smtp" in box.protocols:
        from ccctl_email.smtp import smtp_connection

        with smtp_connection(config.smtp, box):
            pass

