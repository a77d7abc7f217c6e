"""Google's application flow: a service account with domain-wide delegation (RFC 7523 JWT bearer).

The local token server checks each assertion as Google does (RS256 signature against the account's
public key, iss, aud, iat/exp, scope against the delegation, sub), and its tokens are checked by
Dovecot's oauth2 passdb (IMAP) and the XOAUTH2 SMTP test server. Nobody logs in.
"""

import json

from support.oauth_fixtures import (  # noqa: F401  (fixtures)
    assert_private, new_key, oauth, oauth_dovecot, oauth_server, run_ccctl, service_account_file, token_files,
    xoauth2_smtp,
)
from support.oauth_server import JWT_BEARER

SLUG = "voyages-lumiere"
ACCOUNT = "ccctl-mail@vl-mail.iam.gserviceaccount.com"
CLIENT_ID = "105723419862247183305"


def sa_block(key_ref: str, **extra) -> str:
    return json.dumps({"provider": "google", "flow": "service_account", "service_account_key": key_ref,
                       "scopes": ["imap", "smtp"], **extra})  # the test servers' scopes; Google's default is mail


def apply_sa(apply_tenant, dovecot, sink, user, key_ref, ack=False, **extra):
    block = sa_block(key_ref, **extra)
    smtp = (f"smtp: {{host: 127.0.0.1, port: {sink.port}, from: 'Support <support@example.test>', user: {user}, "
            f"auth: oauth2, oauth2: {block}}}") if sink else ""
    apply_tenant(imap={"host": "127.0.0.1", "port": dovecot.port, "user": user, "ssl": "false", "auth": "oauth2",
                       "oauth2": block},
                 extra=smtp + ("\nack: {enabled: true}" if ack else ""))


def account(oauth, tmp_path, delegated=("imap", "smtp"), users=None, signing_key=None):
    """Register the service account at the token server and write its key file (signed with ``signing_key``
    when given: a key the server does not know for this account)."""
    key = new_key()
    oauth.add_service_account(ACCOUNT, key.public_key(), CLIENT_ID, list(delegated), users)
    path = service_account_file(tmp_path / "vl-mail-sa.json", oauth, ACCOUNT, signing_key or key, CLIENT_ID)
    return path, key


def test_fetch_and_ack_by_service_account_without_any_login(ccctl, apply_tenant, oauth, oauth_dovecot, xoauth2_smtp,
                                                            make_mail, tmp_path):
    user, password = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path, users={user})
    apply_sa(apply_tenant, oauth_dovecot, xoauth2_smtp, user, f"file:{path}", ack=True)
    oauth_dovecot.append(user, password, make_mail(1))
    fetched = ccctl("email", "fetch", "-t", SLUG, "--format", "json")
    assert [(r["new"], r["acks_sent"]) for r in json.loads(fetched.stdout)] == [(1, 1)]
    assert xoauth2_smtp.logins == [user] and xoauth2_smtp.messages[0]["to"] == ["elodie@example.fr"]
    assert oauth.grants == [JWT_BEARER]  # one token for IMAP and SMTP, no refresh token, no person
    [claims] = oauth.assertions
    assert (claims["header"]["alg"], claims["header"]["kid"]) == ("RS256", "3f0c9a1e")  # kid: the key file's id
    assert (claims["iss"], claims["sub"], claims["aud"], claims["scope"]) == (ACCOUNT, user, f"{oauth.url}/token",
                                                                              "imap smtp")
    assert 0 < claims["exp"] - claims["iat"] <= 3600
    # The token is cached like the other flows': status checks both logins with it, no new assertion.
    [row] = ccctl.json("email", "auth", "status", "-t", SLUG)
    assert (row["flow"], row["works"], row["refresh_token"], row["protocols"]) == (
        "service_account", "yes", "none", "imap,smtp")
    assert row["expires"] and oauth.grants == [JWT_BEARER]
    table = ccctl("email", "auth", "status", "-t", SLUG, "--no-check", "--format", "table").stdout
    assert "service_account" in table and " CET" in table
    login = ccctl("email", "auth", "login", "-t", SLUG, "--format", "json")
    assert "nobody needs to log in; a token was fetched to check it" in login.stderr
    assert json.loads(login.stdout)[0]["flow"] == "service_account" and oauth.grants == [JWT_BEARER] * 2
    [stored] = token_files(tmp_path / "tokens")
    assert_private(tmp_path / "tokens")
    text = stored.read_text()
    assert "PRIVATE KEY" not in text and json.loads(text)["client_id"] == CLIENT_ID
    for output in (fetched, login):
        assert "PRIVATE KEY" not in output.stdout + output.stderr
        assert json.loads(text)["access_token"] not in output.stdout + output.stderr


def test_googles_mail_scope_by_default(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    user, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path, delegated=["https://mail.google.com/"])
    block = json.loads(sa_block(f"file:{path}"))
    del block["scopes"]
    apply_tenant(imap={"host": "127.0.0.1", "port": oauth_dovecot.port, "user": user, "ssl": "false",
                       "auth": "oauth2", "oauth2": json.dumps(block)})
    [row] = ccctl.json("email", "auth", "login", "-t", SLUG)  # the token is fetched; IMAP is not tried
    assert row["flow"] == "service_account"
    assert oauth.assertions[-1]["scope"] == "https://mail.google.com/"


def test_key_in_an_environment_variable_and_token_uri_overridden(ccctl, apply_tenant, oauth, oauth_dovecot, make_mail,
                                                                 tmp_path, monkeypatch):
    user, password = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path)
    data = json.loads(path.read_text())
    monkeypatch.setenv("VL_GOOGLE_SA_KEY", json.dumps({**data, "token_uri": "https://oauth2.googleapis.com/token"}))
    # token_url in the YAML wins over the key file's (here Google's real one, never called).
    apply_sa(apply_tenant, oauth_dovecot, None, user, "${VL_GOOGLE_SA_KEY}", token_url=f"{oauth.url}/token")
    oauth_dovecot.append(user, password, make_mail(1))
    assert ccctl.json("email", "fetch", "-t", SLUG)[0]["new"] == 1
    assert oauth.assertions[-1]["aud"] == f"{oauth.url}/token"


def test_delegation_not_granted_names_the_tenant_and_what_the_admin_must_do(ccctl, apply_tenant, oauth, oauth_dovecot,
                                                                           xoauth2_smtp, tmp_path):
    user, _ = oauth_dovecot.add_user()
    other, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path, delegated=[])
    apply_sa(apply_tenant, oauth_dovecot, xoauth2_smtp, user, f"file:{path}")
    apply_tenant(slug="assurance-horizon", imap={"host": "127.0.0.1", "port": oauth_dovecot.port, "user": other,
                                                  "password": "'${EMAIL_TEST_IMAP_PW}'", "ssl": "false"})
    result = ccctl("email", "fetch", "--all-tenants", "--format", "json", env={"EMAIL_TEST_IMAP_PW": "s3cret"},
                   code=1)
    assert [r["tenant"] for r in json.loads(result.stdout)] == ["assurance-horizon"]  # the others go on
    assert (f"email fetch: tenant {SLUG}: skipped: tenant {SLUG}: mailbox {user}: Google refused service account "
            f"{ACCOUNT} acting as {user} (unauthorized_client: Client is unauthorized") in result.stderr
    assert (f"domain-wide delegation is not granted: a Workspace super admin must open admin.google.com, Security, "
            f"Access and data control, API controls, Manage domain wide delegation, Add new: client ID {CLIENT_ID}, "
            f"OAuth scopes imap,smtp") in result.stderr
    assert "auth login" not in result.stderr  # no person can fix this by logging in
    status = ccctl("email", "auth", "status", "-t", SLUG, "--format", "json", code=1)
    [row] = json.loads(status.stdout)
    assert row["works"] == "no" and "domain-wide delegation is not granted" in row["problem"]
    assert xoauth2_smtp.logins == [] and token_files(tmp_path / "tokens") == []


def test_a_user_outside_the_domain(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    user, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path, users={"someone-else@example.test"})
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{path}", subject="support@example.test")
    result = ccctl("email", "auth", "login", "-t", SLUG, code=1)
    assert oauth.assertions[-1]["sub"] == "support@example.test"  # oauth2.subject, not the login name
    assert ("acting as support@example.test (invalid_grant: Invalid email or User ID): check that "
            "support@example.test is a user of the Workspace domain") in result.stderr


def test_wrong_key_is_refused_and_says_to_make_a_new_one(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    user, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path, signing_key=new_key())  # deleted at Google, or another account's
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{path}")
    result = ccctl("email", "auth", "status", "-t", SLUG, "--format", "json", code=1)
    assert "(invalid_grant: Invalid JWT Signature.): the key 3f0c9a1e was deleted, disabled or belongs to another " \
           "service account; download a JSON key of the service account" in result.stderr
    assert oauth.assertions == []  # the server saw a bad signature: nothing was trusted


def test_clock_skew(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    user, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path)
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{path}")
    oauth.clock_offset = 2 * 3600  # this machine's clock is two hours behind Google's (the fixture resets it)
    result = ccctl("email", "auth", "login", "-t", SLUG, code=1)
    assert "Token must be a short-lived token" in result.stderr
    assert "set this machine's clock right (NTP)" in result.stderr


def test_key_file_missing_or_not_a_service_account_key(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    user, _ = oauth_dovecot.add_user()
    missing = tmp_path / "nowhere.json"
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{missing}")
    result = ccctl("email", "fetch", "-t", SLUG, code=1)
    assert (f"tenant {SLUG}: mailbox {user}: oauth2.service_account_key: cannot read {missing}: No such file or "
            f"directory; download a JSON key of the service account") in result.stderr
    client_file = tmp_path / "client_secret.json"
    client_file.write_text(json.dumps({"installed": {"client_id": "x.apps.googleusercontent.com",
                                                     "client_secret": "GOCSPX-hidden"}}))
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{client_file}")
    result = ccctl("email", "auth", "login", "-t", SLUG, code=1)
    assert (f"oauth2.service_account_key: file {client_file} is an OAuth client file (desktop app) (for a person's "
            f"consent use flow: authorization_code with its client_id)") in result.stderr
    assert "GOCSPX-hidden" not in result.stderr
    apply_sa(apply_tenant, oauth_dovecot, None, user, "${VL_UNSET_SA_KEY}")
    result = ccctl("email", "fetch", "-t", SLUG, code=1)
    assert "oauth2.service_account_key: environment variable VL_UNSET_SA_KEY is not set" in result.stderr
    assert oauth.grants == []


def test_two_cron_runs_fetch_one_token(db_url, ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    """The token store and its lock serve service accounts too: the run that waited uses the token just written."""
    user, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path)
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{path}")
    ccctl("email", "fetch", "-t", SLUG)  # the IMAP position exists (two first runs at once are the database's matter)
    [stored] = token_files(tmp_path / "tokens")
    stored.unlink()
    oauth.refresh_delay = 2.0  # a token takes 2 s: the second run comes while the first waits for it
    runs = [run_ccctl(db_url, "email", "fetch", "-t", SLUG, "--format", "json") for _ in range(2)]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-1500:] for _out, err in results]
    assert oauth.grants == [JWT_BEARER] * 2  # the first fetch's, then one for both runs


def test_key_of_another_account_than_the_yaml_names(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    user, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path)
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{path}", client_id="999")
    result = ccctl("email", "auth", "login", "-t", SLUG, code=1)
    assert (f"oauth2.service_account_key: file {path} is the key of client ID {CLIENT_ID} ({ACCOUNT}) but "
            f"oauth2.client_id says 999") in result.stderr
    assert oauth.grants == []
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{path}", client_id=CLIENT_ID)
    assert ccctl.json("email", "auth", "login", "-t", SLUG)[0]["flow"] == "service_account"


def test_a_token_gmail_refuses_names_the_delegations_scopes(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    user, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path, delegated=["smtp"])
    apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{path}", scopes=["smtp"])  # IMAP wants 'imap'
    result = ccctl("email", "fetch", "-t", SLUG, code=1)
    assert f"XOAUTH2 login refused for {user}: the server refused the token (status 401)" in result.stderr
    assert f"check the domain-wide delegation's scopes (smtp) and that IMAP is on for {user}" in result.stderr
    assert oauth.grants == [JWT_BEARER] * 2  # a new token once, in case the first was stale; no more


def test_a_silent_token_endpoint_times_out(ccctl, apply_tenant, oauth, oauth_dovecot, tmp_path):
    import socket

    user, _ = oauth_dovecot.add_user()
    path, _key = account(oauth, tmp_path)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/token"
        apply_sa(apply_tenant, oauth_dovecot, None, user, f"file:{path}", token_url=url, timeout=1)
        result = ccctl("email", "fetch", "-t", SLUG, code=1)
    assert f"mailbox {user}: service account: cannot reach {url}: ReadTimeout" in result.stderr
