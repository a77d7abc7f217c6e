"""Shared pieces of the OAuth2 email tests: a token server, a Dovecot checking its tokens, tenant YAML."""

from __future__ import annotations

import json
import stat

import pytest

from support.oauth_server import OAuthServer, XOAuth2Smtp

APP = "ccctl-app"              # a public client (device code, authorization code)
DAEMON = "ccctl-daemon"        # a confidential client (client credentials)
DAEMON_SECRET = "daemon-s3cret"
CLIENTS = {APP: {"secret": None, "scopes": ["imap", "smtp", "offline_access"]},
           DAEMON: {"secret": DAEMON_SECRET, "scopes": [], "app_scopes": ["imap", "smtp"]}}


def dovecot_oauth2_conf(server: OAuthServer) -> str:
    """Dovecot's oauth2 passdb asking our server (RFC 7662), wanting scope 'imap' like a real resource server."""
    return (f"introspection_mode = post\nintrospection_url = {server.url}/introspect\nforce_introspection = yes\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\nscope = imap\n"
            "timeout_msecs = 5000\n")


def oauth_block(server: OAuthServer, scopes=("imap", "offline_access"), **extra) -> str:
    fields = {"provider": "generic", "client_id": APP, "token_url": f"{server.url}/token",
              "device_authorization_url": f"{server.url}/devicecode", "scopes": list(scopes), **extra}
    return json.dumps(fields)  # JSON is YAML


def imap_oauth(dovecot, server, user, **oauth) -> dict:
    return {"host": "127.0.0.1", "port": dovecot.port, "user": user, "ssl": "false", "auth": "oauth2",
            "oauth2": oauth_block(server, **oauth)}


def smtp_oauth(sink: XOAuth2Smtp, server, user, **oauth) -> str:
    return (f"smtp: {{host: 127.0.0.1, port: {sink.port}, from: 'Support <support@example.test>', user: {user}, "
            f"auth: oauth2, oauth2: {oauth_block(server, **oauth)}}}")


def run_ccctl(db_url, *args, **popen):
    """The real ccctl in its own process (the in-process runner cannot run two at once)."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "ccctl", "--database-url", db_url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def token_files(folder) -> list:
    return sorted(p for p in folder.rglob("*.json"))


def assert_private(folder) -> None:
    for path in [folder, *folder.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


@pytest.fixture(scope="module")
def oauth_server():
    server = OAuthServer(CLIENTS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oauth_dovecot(oauth_server, request):
    # tests/email/conftest.py's Dovecot ("import conftest" would find tests/conftest.py)
    dovecot_class = next(p.Dovecot for p in request.config.pluginmanager.get_plugins()
                         if str(getattr(p, "__file__", "")).endswith("email/conftest.py"))
    server = dovecot_class(oauth2=dovecot_oauth2_conf(oauth_server))
    yield server
    server.stop()


@pytest.fixture
def oauth(oauth_server, tmp_path, monkeypatch):
    """The token server with default behaviour, and this test's own token folder."""
    oauth_server.access_ttl, oauth_server.rotate, oauth_server.refresh_delay = 3600, True, 0.0
    oauth_server.consenting, oauth_server.poll_delay = None, 1
    oauth_server.grants.clear()
    oauth_server.assertions.clear()
    oauth_server.service_accounts.clear()
    oauth_server.clock_offset = 0.0
    monkeypatch.setenv("CCCTL_TOKEN_DIR", str(tmp_path / "tokens"))
    return oauth_server


@pytest.fixture
def xoauth2_smtp(oauth_server):
    sink = XOAuth2Smtp(oauth_server)
    yield sink
    sink.stop()


def new_key():
    """An RSA key pair like the ones Google makes for a service account (2048 bits)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_file(path, server: OAuthServer, email: str, private_key, client_id: str, **fields):
    """A JSON key file as Google's console downloads it (token_uri pointing at ``server``), mode 0600."""
    from cryptography.hazmat.primitives import serialization

    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    data = {"type": "service_account", "project_id": "vl-mail", "private_key_id": "3f0c9a1e", "private_key": pem,
            "client_email": email, "client_id": client_id, "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": f"{server.url}/token", "universe_domain": "googleapis.com", **fields}
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return path
