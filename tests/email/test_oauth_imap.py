"""OAuth2 (XOAUTH2) mailboxes against a real Dovecot whose oauth2 passdb asks a token server on loopback.

Cases: first login (device code), refresh before expiry, rotation, a token the server ended early,
revoked consent (named, with the fix, other tenants go on), a wrong scope, and no token in clear
anywhere but the owner-only token file.
"""

import json
import os

from sqlalchemy import text

from support.oauth_fixtures import (  # noqa: F401  (fixtures)
    assert_private, imap_oauth, oauth, oauth_dovecot, oauth_server, token_files,
)

SLUG = "voyages-lumiere"


def login(ccctl, oauth, user, slug=SLUG, code=0):
    oauth.consent(user)
    return ccctl("email", "auth", "login", "-t", slug, "--format", "json", code=code)


def fetch(ccctl, *args, code=0):
    return ccctl("email", "fetch", *args, "--format", "json", env={"EMAIL_TEST_IMAP_PW": "s3cret"}, code=code)


def stored(tmp_path) -> dict:
    [path] = token_files(tmp_path / "tokens")
    return json.loads(path.read_text())


def test_first_login_by_device_code_then_fetch(ccctl, apply_tenant, oauth, oauth_dovecot, make_mail, tmp_path,
                                               session):
    user, password = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))
    result = login(ccctl, oauth, user)
    # The person is told where to go and which code to type; the command waited for the consent.
    assert f"open {oauth.url}/device and enter the code " in result.stderr
    assert oauth.grants.count("urn:ietf:params:oauth:grant-type:device_code") == 2  # pending, then granted
    [row] = json.loads(result.stdout)
    assert row == {"tenant": SLUG, "mailbox": user, "protocols": "imap", "flow": "device_code",
                   "scopes": "imap offline_access", "refresh_token": "stored"}
    record = stored(tmp_path)
    assert_private(tmp_path / "tokens")
    for secret in (record["access_token"], record["refresh_token"]):
        assert secret not in result.stdout + result.stderr
    oauth_dovecot.append(user, password, make_mail(1))
    [fetched] = json.loads(fetch(ccctl, "-t", SLUG).stdout)
    assert fetched["new"] == 1
    assert "refresh_token" not in oauth.grants  # a fresh token is used as it is
    # Nothing of the token reaches the database (tenants table, audit log, anything else).
    dump = json.dumps([list(map(str, r)) for r in session.execute(text("SELECT * FROM tenants"))])
    assert record["access_token"] not in dump and record["refresh_token"] not in dump
    status = json.loads(ccctl("email", "auth", "status", "-t", SLUG, "--format", "json").stdout)
    assert [(r["mailbox"], r["works"], r["refresh_token"]) for r in status] == [(user, "yes", "stored")]
    assert record["access_token"] not in json.dumps(status)
    table = ccctl("email", "auth", "status", "-t", SLUG, "--no-check", "--format", "table").stdout
    assert " CET" in table and "unchecked" in table  # the expiry in the tenant's zone, named


def test_refresh_before_expiry_with_rotation(ccctl, apply_tenant, oauth, oauth_dovecot, make_mail, tmp_path):
    user, password = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))
    oauth.access_ttl = 120  # under refresh_before (300 s): every use refreshes first
    login(ccctl, oauth, user)
    first = stored(tmp_path)
    oauth_dovecot.append(user, password, make_mail(1))
    assert json.loads(fetch(ccctl, "-t", SLUG).stdout)[0]["new"] == 1
    assert oauth.grants.count("refresh_token") == 1
    second = stored(tmp_path)
    # Rotated: the new refresh token is saved, the old one is dead on the server.
    assert second["refresh_token"] != first["refresh_token"]
    assert oauth.live_refresh_tokens(user) == [second["refresh_token"]]
    assert second["access_token"] != first["access_token"] and second["refreshed_at"] is not None
    fetch(ccctl, "-t", SLUG)
    assert oauth.grants.count("refresh_token") == 2  # the rotated token works too
    oauth.access_ttl = 3600
    fetch(ccctl, "-t", SLUG)
    fetch(ccctl, "-t", SLUG)
    assert oauth.grants.count("refresh_token") == 3  # one refresh, then the long-lived token is reused
    assert_private(tmp_path / "tokens")


def test_token_ended_early_by_the_server_is_refreshed_once(ccctl, apply_tenant, oauth, oauth_dovecot, make_mail):
    user, password = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))
    login(ccctl, oauth, user)
    oauth.expire_access(user)  # still valid by its expires_in, but the server says no
    oauth_dovecot.append(user, password, make_mail(1))
    assert json.loads(fetch(ccctl, "-t", SLUG).stdout)[0]["new"] == 1
    assert oauth.grants.count("refresh_token") == 1


def test_fetch_before_any_login_says_how_to_fix(ccctl, apply_tenant, oauth, oauth_dovecot):
    user, _ = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))
    result = fetch(ccctl, "-t", SLUG, code=1)
    assert f"tenant {SLUG}: mailbox {user}: not logged in yet; fix: ccctl email auth login -t {SLUG}" \
           f" --mailbox {user}" in result.stderr


def test_revoked_consent_is_named_and_other_tenants_go_on(ccctl, apply_tenant, oauth, oauth_dovecot, make_mail,
                                                          tmp_path):
    user, password = oauth_dovecot.add_user()
    other, _ = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))
    apply_tenant(slug="assurance-horizon", imap={"host": "127.0.0.1", "port": oauth_dovecot.port, "user": other,
                                                  "password": "'${EMAIL_TEST_IMAP_PW}'", "ssl": "false"})
    login(ccctl, oauth, user)
    oauth.revoke(user)
    oauth_dovecot.append(user, password, make_mail(1))
    oauth_dovecot.append(other, password, make_mail(2))
    result = fetch(ccctl, "--all-tenants", code=1)
    assert [r["tenant"] for r in json.loads(result.stdout)] == ["assurance-horizon"]
    assert f"email fetch: tenant {SLUG}: skipped:" in result.stderr
    assert (f"mailbox {user}: consent revoked or expired (invalid_grant); "
            f"fix: ccctl email auth login -t {SLUG} --mailbox {user}") in result.stderr
    status = ccctl("email", "auth", "status", "-t", SLUG, "--format", "json", code=1)
    [row] = json.loads(status.stdout)
    assert row["works"] == "no" and "consent revoked" in row["problem"]
    assert f"ccctl email auth login -t {SLUG}" in status.stderr
    # Consent given again: the same mailbox position goes on.
    login(ccctl, oauth, user)
    assert json.loads(fetch(ccctl, "-t", SLUG).stdout)[0]["new"] == 1


def test_wrong_scope(ccctl, apply_tenant, oauth, oauth_dovecot):
    user, _ = oauth_dovecot.add_user()
    # A scope the application was never granted: the provider refuses at login.
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user, scopes=["imap", "calendar"]))
    result = login(ccctl, oauth, user, code=1)
    assert "device authorization refused: invalid_scope: not allowed: calendar" in result.stderr
    # Granted, but not the one IMAP needs: Dovecot refuses the token; the error says what it wants.
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user, scopes=["smtp", "offline_access"]))
    login(ccctl, oauth, user)
    result = fetch(ccctl, "-t", SLUG, code=1)
    assert f"XOAUTH2 login refused for {user}: the server refused the token (status 401)" in result.stderr
    assert "check the scopes (smtp offline_access)" in result.stderr
    assert oauth.grants.count("refresh_token") == 1  # refreshed once in case the token was stale, no more


def test_token_file_readable_by_others_is_refused(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    user, _ = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))
    login(ccctl, oauth, user)
    [path] = token_files(tmp_path / "tokens")
    os.chmod(path, 0o644)
    result = fetch(ccctl, "-t", SLUG, code=1)
    assert "can be read by others (mode 644)" in result.stderr and "log in again" in result.stderr
    path.write_text("{not json")
    os.chmod(path, 0o600)
    assert "is damaged: delete it and log in again" in fetch(ccctl, "-t", SLUG, code=1).stderr


def test_consent_refused_or_never_given(ccctl, apply_tenant, oauth, oauth_dovecot):
    user, _ = oauth_dovecot.add_user()
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))
    oauth.consent(user, deny=True)
    result = ccctl("email", "auth", "login", "-t", SLUG, code=1)
    assert "device code refused: access_denied" in result.stderr


def test_moving_from_password_to_oauth2_keeps_the_imap_position(ccctl, apply_tenant, oauth, oauth_dovecot,
                                                                 make_mail):
    user, password = oauth_dovecot.add_user()
    by_password = {"host": "127.0.0.1", "port": oauth_dovecot.port, "user": user,
                   "password": "'${EMAIL_TEST_IMAP_PW}'", "ssl": "false"}
    apply_tenant(imap=by_password)
    oauth_dovecot.append(user, password, make_mail(1), make_mail(2, sender="b@example.fr"))
    assert json.loads(fetch(ccctl, "-t", SLUG).stdout)[0]["new"] == 2
    apply_tenant(imap=imap_oauth(oauth_dovecot, oauth, user))  # same user, host, port, folder
    between = fetch(ccctl, "-t", SLUG, code=1)  # a cron run before the login: says so, reads nothing
    assert "not logged in yet" in between.stderr
    login(ccctl, oauth, user)
    oauth_dovecot.append(user, password, make_mail(3, sender="c@example.fr"))
    [row] = json.loads(fetch(ccctl, "-t", SLUG).stdout)
    assert (row["new"], row["duplicate"]) == (1, 0)  # only the new message: nothing read again
