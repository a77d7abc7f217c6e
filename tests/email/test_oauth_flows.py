"""OAuth2 beyond the IMAP basics: SMTP XOAUTH2 (aiosmtpd), client credentials, the authorization-code
flow Google needs, and two cron runs refreshing one mailbox at once (two real processes)."""

import json
import os
import subprocess
import urllib.error
import urllib.request

from sqlalchemy import select

from ccctl_email.models import OutboundMail
from support.oauth_fixtures import (  # noqa: F401  (fixtures)
    DAEMON, DAEMON_SECRET, imap_oauth, oauth, oauth_block, oauth_dovecot, oauth_server, run_ccctl, smtp_oauth,
    token_files, xoauth2_smtp,
)

SLUG = "voyages-lumiere"


def test_imap_and_smtp_share_one_consent_and_acks_go_out_by_xoauth2(ccctl, apply_tenant, oauth, oauth_dovecot,
                                                                     xoauth2_smtp, make_mail):
    user, password = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user),
                 extra=smtp_oauth(xoauth2_smtp, oauth, user, scopes=["smtp", "offline_access"])
                 + "\nack: {enabled: true}")
    oauth.consent(user)
    [row] = ccctl.json("email", "auth", "login", "-t", SLUG)
    assert (row["protocols"], row["scopes"]) == ("imap,smtp", "imap offline_access smtp")  # one consent for both
    oauth_dovecot.append(user, password, make_mail(1))
    [fetched] = ccctl.json("email", "fetch", "-t", SLUG)
    assert (fetched["new"], fetched["acks_sent"]) == (1, 1)
    assert xoauth2_smtp.logins == [user] and xoauth2_smtp.messages[0]["to"] == ["elodie@example.fr"]
    status = ccctl.json("email", "auth", "status", "-t", SLUG)
    assert [(r["protocols"], r["works"]) for r in status] == [("imap,smtp", "yes")]


def test_smtp_refusing_a_revoked_consent_keeps_the_mail_queued(ccctl, apply_tenant, oauth, oauth_dovecot,
                                                                xoauth2_smtp, session, make_mail):
    user, _ = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user),
                 extra=smtp_oauth(xoauth2_smtp, oauth, user, scopes=["smtp", "offline_access"]))
    oauth.consent(user)
    ccctl("email", "auth", "login", "-t", SLUG)
    ccctl("email", "ingest", "-t", SLUG, input=make_mail(1).decode())
    item_id = ccctl.json("customer", "show", "1", "-t", SLUG)["open_items"][0]["id"]
    oauth.revoke(user)
    result = ccctl("email", "reply", str(item_id), "-t", SLUG, input="Votre remboursement est parti.\n", code=1)
    assert f"tenant {SLUG}: mailbox {user}: consent revoked or expired (invalid_grant); " \
           f"fix: ccctl email auth login -t {SLUG} --mailbox {user}" in result.stderr
    assert xoauth2_smtp.refusals == 1 and xoauth2_smtp.messages == []
    assert [m.status for m in session.scalars(select(OutboundMail))] == ["queued"]  # `email send` later


def test_client_credentials_need_no_person(ccctl, apply_tenant, oauth, xoauth2_smtp, tmp_path, monkeypatch):
    app_block = oauth_block(oauth, scopes=["smtp"], client_id=DAEMON, flow="client_credentials",
                            client_secret="${EMAIL_TEST_APP_SECRET}")
    apply_tenant(extra=f"smtp: {{host: 127.0.0.1, port: {xoauth2_smtp.port}, from: 'S <support@example.test>', "
                       f"user: support@example.test, auth: oauth2, oauth2: {app_block}}}")
    unset = ccctl("email", "auth", "login", "-t", SLUG, code=1)
    assert "oauth2.client_secret: environment variable EMAIL_TEST_APP_SECRET is not set" in unset.stderr
    monkeypatch.setenv("EMAIL_TEST_APP_SECRET", "wrong")
    assert "client credentials refused: invalid_client" in ccctl("email", "auth", "login", "-t", SLUG, code=1).stderr
    monkeypatch.setenv("EMAIL_TEST_APP_SECRET", DAEMON_SECRET)
    [row] = ccctl.json("email", "auth", "login", "-t", SLUG)
    assert (row["flow"], row["refresh_token"]) == ("client_credentials", "none")
    [status] = ccctl.json("email", "auth", "status", "-t", SLUG)
    assert status["works"] == "yes" and xoauth2_smtp.logins == ["support@example.test"]
    assert oauth.grants == ["client_credentials"]  # the stored token was reused by the check
    [path] = token_files(tmp_path / "tokens")
    assert DAEMON_SECRET not in path.read_text()  # the client secret stays in its reference


def test_authorization_code_flow_for_google(db_url, ccctl, apply_tenant, oauth, oauth_dovecot, make_mail):
    """Google allows no device flow for mail: the person opens an address and pastes back where it led."""
    user, password = oauth_dovecot.add_user()
    imap = imap_oauth(oauth_dovecot, oauth, user)
    imap["oauth2"] = json.dumps({"provider": "google", "client_id": "ccctl-app", "token_url": f"{oauth.url}/token",
                                 "authorization_url": f"{oauth.url}/authorize", "scopes": ["imap", "offline_access"]})
    apply_tenant(imap=imap)
    oauth.consent(user)
    proc = run_ccctl(db_url, "email", "auth", "login", "-t", SLUG, "--format", "json", stdin=subprocess.PIPE)
    try:
        url = next(line.strip() for line in proc.stderr if line.startswith(f"{oauth.url}/authorize?"))
        assert "code_challenge_method=S256" in url and "access_type=offline" in url and "login_hint=" in url
        try:  # the browser's part: consent, then a redirect to the loopback address nobody serves
            urllib.request.build_opener(NoRedirect).open(url, timeout=10)
        except urllib.error.HTTPError as exc:
            location = exc.headers["Location"]
        out, err = proc.communicate(location + "\n", timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out)[0]["refresh_token"] == "stored" and oauth.grants == ["authorization_code"]
    oauth_dovecot.append(user, password, make_mail(1))
    assert ccctl.json("email", "fetch", "-t", SLUG)[0]["new"] == 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_pasting_a_refusal_or_nothing(ccctl, apply_tenant, oauth, oauth_dovecot):
    user, _ = oauth_dovecot.add_user()
    imap = imap_oauth(oauth_dovecot, oauth, user)
    imap["oauth2"] = json.dumps({"provider": "google", "client_id": "ccctl-app", "token_url": f"{oauth.url}/token",
                                 "authorization_url": f"{oauth.url}/authorize", "scopes": ["imap"]})
    apply_tenant(imap=imap)
    denied = ccctl("email", "auth", "login", "-t", SLUG, input="http://127.0.0.1:8765/?error=access_denied\n", code=1)
    assert "consent refused (access_denied)" in denied.stderr
    empty = ccctl("email", "auth", "login", "-t", SLUG, input="\n", code=1)
    assert "the pasted address has no code=" in empty.stderr
    forged = ccctl("email", "auth", "login", "-t", SLUG, input="http://127.0.0.1:8765/?code=abc&state=forged\n",
                   code=1)
    assert "authorization code refused: mismatching_state" in forged.stderr
    assert oauth.grants == []  # nothing reached the token endpoint


def test_two_cron_runs_refresh_once(db_url, ccctl, apply_tenant, oauth, oauth_dovecot, make_mail, tmp_path):
    """Both need a refresh at once; with rotation a second refresh with the same token would fail.

    The mailbox is read once before (the IMAP position exists) and gets no new mail: two runs
    ingesting the same mail at once is another matter (the database's), not the token's.
    """
    user, password = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))
    oauth.consent(user)
    ccctl("email", "auth", "login", "-t", SLUG)
    oauth_dovecot.append(user, password, make_mail(1))
    ccctl("email", "fetch", "-t", SLUG)
    oauth.refresh_delay = 2.0  # a refresh takes 2 s: the second run comes while the first refreshes
    first = json.loads((tmp_path / "tokens").rglob("*.json").__next__().read_text())
    assert first["expires_at"] > 0
    with open(token_files(tmp_path / "tokens")[0], "w") as handle:  # make the stored token due now
        json.dump({**first, "expires_at": first["expires_at"] - 3600}, handle)
    os.chmod(token_files(tmp_path / "tokens")[0], 0o600)
    runs = [run_ccctl(db_url, "email", "fetch", "-t", SLUG, "--format", "json") for _ in range(2)]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-1500:] for _out, err in results]
    assert oauth.grants.count("refresh_token") == 1  # one refreshed, the other waited and reused it
    # Both logged in (and so both needed the token); the one that came second to the mailbox's
    # fetch lease may skip it (exit 0, one line: docs/email.md "One run per mailbox").
    for out, err in results:
        rows = json.loads(out)
        assert [r["new"] for r in rows] == [0] or (rows == [] and "mailbox skipped" in err), err


def test_a_silent_token_endpoint_times_out(ccctl, apply_tenant, oauth, oauth_dovecot):
    import socket

    user, _ = oauth_dovecot.add_user()
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user, timeout=1, token_url=f"{url}/token",
                                     device_authorization_url=f"{url}/devicecode"))
        result = ccctl("email", "auth", "login", "-t", SLUG, code=1)
    assert f"device authorization: cannot reach {url}/devicecode: ReadTimeout" in result.stderr
