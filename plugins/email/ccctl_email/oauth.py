"""OAuth2 access tokens for the tenants' mailboxes, through Authlib (no OAuth protocol written here).

Why Authlib: it speaks every grant ccctl needs (refresh, client credentials, authorization code
with PKCE, RFC 7523's JWT bearer for Google service accounts (``service_account.py``), and any
extension grant such as RFC 8628's device code) against any token endpoint,
so tests point every endpoint at a server on 127.0.0.1; and it refuses plain HTTP except to a
loopback address (RFC 8252), so testing needs no switch that weakens production. MSAL knows
Microsoft only; google-auth has no device or client-credentials flow for mail.

A token is refreshed when it has less than ``refresh_before`` seconds left. Only one process
refreshes a mailbox at a time (``tokenstore.locked``); the others wait on the lock, re-read the
file and use the token it wrote (with rotating refresh tokens a second refresh would fail).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ccctl.config.secrets import resolve_secret
from ccctl.errors import CcctlError
from ccctl_email import tokenstore
from ccctl_email.config import EmailConfig, OAuth2Settings
from ccctl_email.tokenstore import TokenRecord

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CONSENT_GONE = {"invalid_grant", "interaction_required", "consent_required", "login_required"}


class ConsentError(CcctlError):
    """The mailbox's consent is missing, revoked or expired: a person must log in again."""

    def __init__(self, tenant_slug: str, user: str, why: str) -> None:
        super().__init__(f"tenant {tenant_slug}: mailbox {user}: {why}; "
                         f"fix: ccctl email auth login -t {tenant_slug} --mailbox {user}")


@dataclass
class Mailbox:
    """One mailbox credential of a tenant: IMAP and SMTP share it when user and application match."""

    tenant_slug: str
    user: str
    oauth: OAuth2Settings
    protocols: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)

    @property
    def path(self):
        return tokenstore.record_path(self.tenant_slug, self.user, self.oauth.effective_token_url,
                                      self.oauth.credential_id)

    @property
    def subject(self) -> str:
        """The user the token is for: a service account may act as another user than the login name."""
        return self.oauth.subject or self.user


def mailboxes(tenant_slug: str, config: EmailConfig) -> list[Mailbox]:
    found: dict[tuple, Mailbox] = {}
    for protocol in ("imap", "smtp"):
        settings = getattr(config, protocol)
        if settings is None or settings.auth != "oauth2":
            continue
        oauth = settings.oauth2
        key = (settings.user.lower(), oauth.effective_token_url, oauth.credential_id)
        box = found.setdefault(key, Mailbox(tenant_slug, settings.user, oauth))
        box.protocols.append(protocol)
        box.scopes += [s for s in oauth.scopes_for(protocol) if s not in box.scopes]
    return list(found.values())


def mailbox_for(tenant_slug: str, config: EmailConfig, protocol: str) -> Mailbox:
    settings = getattr(config, protocol)
    return next(box for box in mailboxes(tenant_slug, config)
                if protocol in box.protocols and box.user.lower() == settings.user.lower())


def _client(oauth: OAuth2Settings, scopes: list[str], **extra):
    from authlib.integrations.requests_client import OAuth2Session

    secret = resolve_secret(oauth.client_secret, "oauth2.client_secret") if oauth.client_secret else None
    return OAuth2Session(client_id=oauth.client_id, client_secret=secret, scope=" ".join(scopes),
                         token_endpoint_auth_method="client_secret_post" if secret else "none",
                         default_timeout=oauth.timeout, **extra)


def _call(box: Mailbox, what: str, request, url: str | None = None):
    """Run one token request; map Authlib's and requests' errors to ones an operator can act on."""
    import requests
    from authlib.common.errors import AuthlibBaseError

    try:
        return request()
    except AuthlibBaseError as exc:  # the server's error answers, and a mismatching state
        if exc.error in CONSENT_GONE:
            raise ConsentError(box.tenant_slug, box.user, f"consent revoked or expired ({exc.error})") from None
        detail = f"{exc.error}: {exc.description}" if exc.description else str(exc.error)
        raise CcctlError(f"tenant {box.tenant_slug}: mailbox {box.user}: {what} refused: {detail[:300]}") from None
    except requests.RequestException as exc:
        raise CcctlError(f"tenant {box.tenant_slug}: mailbox {box.user}: {what}: cannot reach "
                         f"{url or box.oauth.effective_token_url}: {type(exc).__name__}") from None
    except ValueError:  # a body that is not JSON
        raise CcctlError(f"tenant {box.tenant_slug}: mailbox {box.user}: the token endpoint's answer "
                         f"to {what} is not JSON") from None


def _record(box: Mailbox, response, previous: TokenRecord | None = None) -> TokenRecord:
    return tokenstore.record_from_response(dict(response), user=box.user, client_id=box.oauth.client_id,
                                           token_url=box.oauth.effective_token_url, previous=previous)


def _renew(box: Mailbox, record: TokenRecord | None) -> TokenRecord:
    """A new access token: client credentials, a service account's assertion, or the stored refresh
    token (network; no lock taken here)."""
    oauth = box.oauth
    if oauth.person_consents and (record is None or not record.refresh_token):
        raise ConsentError(box.tenant_slug, box.user, "not logged in yet")
    if oauth.flow == "service_account":
        return _service_account_token(box)
    with _client(oauth, box.scopes) as client:
        if oauth.flow == "client_credentials":
            token = _call(box, "client credentials", lambda: client.fetch_token(
                oauth.effective_token_url, grant_type="client_credentials"))
            return _record(box, token)
        token = _call(box, "refresh", lambda: client.refresh_token(
            oauth.effective_token_url, refresh_token=record.refresh_token))
        return _record(box, token, previous=record)


def access_token(box: Mailbox, rejected: str | None = None) -> str:
    """A token valid for at least ``refresh_before`` seconds; ``rejected``: one the server just refused."""
    margin = box.oauth.refresh_before
    record = tokenstore.load(box.path)
    if record is not None and not record.expires_within(margin) and record.access_token != rejected:
        return record.access_token
    with tokenstore.locked(box.path):
        record = tokenstore.load(box.path)  # another process may have refreshed while we waited
        if record is not None and not record.expires_within(margin) and record.access_token != rejected:
            return record.access_token
        record = _renew(box, record)
        tokenstore.save(box.path, record)
        return record.access_token


def authenticate(box: Mailbox, where: str, attempt) -> None:
    """Log in with ``attempt(token)`` (None when accepted, else the server's reason).

    A refused token is refreshed once and tried again: the server may have revoked it before
    its expiry. A second refusal is the mailbox's consent, scopes or permissions.
    """
    token = access_token(box)
    if attempt(token) is None:
        return
    reason = attempt(access_token(box, rejected=token))
    if reason is None:
        return
    raise CcctlError(f"tenant {box.tenant_slug}: {where}: XOAUTH2 login refused for {box.user}: {reason}; "
                     f"{_refusal_fix(box)}")


def _refusal_fix(box: Mailbox) -> str:
    """What to check when the mail server refuses a fresh token: who granted what depends on the flow."""
    scopes = " ".join(box.scopes)
    if box.oauth.flow == "client_credentials":
        return f"check the application's permissions and admin consent (scopes {scopes})"
    if box.oauth.flow == "service_account":
        return (f"check the domain-wide delegation's scopes ({scopes}) and that IMAP is on for {box.subject} "
                f"(admin.google.com, Apps, Google Workspace, Gmail, End user access)")
    return (f"check the scopes ({scopes}) and the mailbox's rights, then "
            f"ccctl email auth login -t {box.tenant_slug} --mailbox {box.user}")


def device_login(box: Mailbox, echo, sleep=time.sleep) -> TokenRecord:
    """RFC 8628: print where to go and the code, poll until the person has consented, store the tokens."""
    with _client(box.oauth, box.scopes) as client:
        return _poll_device(box, client, echo, sleep)


def _poll_device(box: Mailbox, client, echo, sleep) -> TokenRecord:
    oauth = box.oauth
    answer = _call(box, "device authorization", lambda: _json(client.post(
        oauth.endpoint("device"), data={"client_id": oauth.client_id, "scope": " ".join(box.scopes)},
        withhold_token=True)), oauth.endpoint("device"))
    grant = parse_device_answer(answer)
    echo(f"Mailbox {box.user} ({', '.join(box.protocols)}): open {grant['verification_uri']} "
         f"and enter the code {grant['user_code']} (valid {grant['expires_in'] // 60} min).")
    deadline, interval = time.monotonic() + grant["expires_in"], grant["interval"]
    while time.monotonic() < deadline:
        sleep(interval)
        try:
            token = _call(box, "device code", lambda: _raising(client.fetch_token, oauth.effective_token_url,
                                                                grant_type=DEVICE_GRANT,
                                                                device_code=grant["device_code"]))
        except _Pending as pending:
            if pending.error.error == "slow_down":
                interval += 5  # RFC 8628 3.5
            continue
        record = _record(box, token)
        with tokenstore.locked(box.path):
            tokenstore.save(box.path, record)
        return record
    raise CcctlError(f"tenant {box.tenant_slug}: mailbox {box.user}: nobody entered the code in time; "
                     f"run ccctl email auth login -t {box.tenant_slug} again")


REDIRECT_URI = "http://127.0.0.1:8765/"  # nothing listens there: the person copies the address (RFC 8252 loopback)


def code_login(box: Mailbox, echo, read_redirect) -> TokenRecord:
    """Authorization code with PKCE (Google allows no device flow for mail): print the consent address,
    read back the address the browser was sent to, exchange its code, store the tokens."""
    with _client(box.oauth, box.scopes, redirect_uri=REDIRECT_URI, code_challenge_method="S256") as client:
        return _exchange_code(box, client, echo, read_redirect)


def _exchange_code(box: Mailbox, client, echo, read_redirect) -> TokenRecord:
    from urllib.parse import parse_qs, urlsplit

    from authlib.common.security import generate_token

    oauth = box.oauth
    verifier = generate_token(64)
    extra = {"access_type": "offline", "prompt": "consent"} if oauth.provider == "google" else {}
    url, state = client.create_authorization_url(oauth.endpoint("authorization"), code_verifier=verifier,
                                                 login_hint=box.user, **extra)
    echo(f"Mailbox {box.user} ({', '.join(box.protocols)}): open this address in a browser, sign in as "
         f"{box.user} and accept; the browser then fails to load a page on {REDIRECT_URI}: paste that "
         f"page's whole address here.\n{url}")
    pasted = (read_redirect() or "").strip()
    query = parse_qs(urlsplit(pasted).query)
    if "error" in query:
        why = query["error"][0][:100]
        raise CcctlError(f"tenant {box.tenant_slug}: mailbox {box.user}: consent refused ({why})")
    if "code" not in query:
        raise CcctlError(f"tenant {box.tenant_slug}: mailbox {box.user}: the pasted address has no code= "
                         f"(paste the whole address the browser ended on)")
    token = _call(box, "authorization code", lambda: client.fetch_token(
        oauth.effective_token_url, authorization_response=pasted, code_verifier=verifier, state=state))
    record = _record(box, token)
    with tokenstore.locked(box.path):
        tokenstore.save(box.path, record)
    return record


def _service_account_token(box: Mailbox) -> TokenRecord:
    from ccctl_email import service_account

    who = f"tenant {box.tenant_slug}: mailbox {box.user}"
    key = service_account.load_key(box.oauth.service_account_key, who)
    service_account.check_client_id(box.oauth, key, who)
    url = service_account.token_url(box.oauth, key)
    token = _call(box, "service account", lambda: service_account.exchange(box, key), url)
    return tokenstore.record_from_response(token, user=box.user, client_id=key.client_id, token_url=url)


def app_login(box: Mailbox) -> TokenRecord:
    """Client credentials, service account: nobody consents here (an admin did); fetch one token to prove it."""
    with tokenstore.locked(box.path):
        record = _renew(box, None)
        tokenstore.save(box.path, record)
    return record


class _Pending(Exception):
    def __init__(self, error) -> None:
        self.error = error


def _raising(fetch, *args, **kwargs):
    """fetch_token, with RFC 8628's 'not yet' answers turned into _Pending (they are no failure)."""
    from authlib.integrations.base_client.errors import OAuthError

    try:
        return fetch(*args, **kwargs)
    except OAuthError as exc:
        if exc.error in ("authorization_pending", "slow_down"):
            raise _Pending(exc) from None
        raise


def _json(response):
    if response.status_code >= 400:
        from authlib.integrations.base_client.errors import OAuthError

        body = response.json()
        raise OAuthError(error=body.get("error", str(response.status_code)) if isinstance(body, dict)
                         else str(response.status_code),
                         description=body.get("error_description") if isinstance(body, dict) else None)
    return response.json()


def parse_device_answer(answer: object) -> dict:
    """A device authorization answer (RFC 8628 3.2; Google says verification_url) → the fields we use."""
    if not isinstance(answer, dict):
        raise TokenResponseError("the device authorization answer is not a JSON object")
    uri = answer.get("verification_uri") or answer.get("verification_url")
    out = {"verification_uri": uri, "user_code": answer.get("user_code"), "device_code": answer.get("device_code")}
    for key, value in out.items():
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            raise TokenResponseError(f"the device authorization answer has no usable {key}")
    if not uri.startswith(("https://", "http://")):
        raise TokenResponseError("the device authorization answer's verification_uri is not a web address")
    for key, default, low, high in (("expires_in", 900, 1, 86400), ("interval", 5, 0, 600)):
        value = answer.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise TokenResponseError(f"the device authorization answer's {key} is not a number of seconds")
        out[key] = value
    return out


TokenResponseError = tokenstore.TokenResponseError
