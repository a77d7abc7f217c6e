"""Google's application flow for Workspace mailboxes: a service account with domain-wide delegation.

Google has no client-credentials grant for mail. Instead the service account signs a short JWT
(RS256, RFC 7523: ``iss`` its address, ``sub`` the user it acts as, ``scope``, ``aud`` the token
endpoint, one hour at most) with the private key of its JSON key file, and trades it at the token
endpoint (grant ``urn:ietf:params:oauth:grant-type:jwt-bearer``) for an access token of about an
hour; there is no refresh token, a new assertion is signed whenever a token is due. Authlib's
``AssertionSession`` signs and sends it. The key file is read when a token is needed (it is a
secret reference: never in the database, never printed, not even in error messages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ccctl.config.secrets import ENV_REF, resolve_secret
from ccctl.errors import CcctlError

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
NEW_KEY = ("download a JSON key of the service account (Google Cloud console: IAM & Admin, Service accounts, "
           "the account, Keys, Add key, JSON), keep it readable by ccctl's account only, and point "
           "oauth2.service_account_key at it")
OTHER_FILES = {"installed": "an OAuth client file (desktop app)", "web": "an OAuth client file (web app)",
               "authorized_user": "a person's credentials (authorized_user)",
               "external_account": "a workload identity federation file (external_account)"}


class KeyFileError(CcctlError):
    """The service account's key file is missing, unreadable or not a service account key."""


@dataclass(frozen=True)
class ServiceAccountKey:
    client_email: str
    client_id: str
    private_key_id: str | None
    token_uri: str | None
    key: object = field(repr=False)  # joserfc RSAKey; repr=False keeps it out of tracebacks and logs


def describe(reference: str) -> str:
    """Where a key reference points, in words (the file's path or the variable's name, never its text)."""
    match = ENV_REF.match(reference)
    return f"environment variable {match.group(1)}" if match else f"file {reference.removeprefix('file:')}"


def load_key(reference: str, who: str) -> ServiceAccountKey:
    """Read and check the key a reference points to; ``who``: 'tenant X: mailbox Y' for the messages."""
    try:
        text = resolve_secret(reference, f"{who}: oauth2.service_account_key")
    except CcctlError as exc:
        raise KeyFileError(f"{exc}; {NEW_KEY}") from None
    return parse_key(text or "", f"{who}: oauth2.service_account_key: {describe(reference)}")


def parse_key(text: str, where: str) -> ServiceAccountKey:
    """A key file's text → the fields used. Any other input gives a KeyFileError naming ``where`` and what
    to do; no part of the text is ever quoted (it may be a private key)."""
    from joserfc.errors import JoseError
    from joserfc.jwk import RSAKey

    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise KeyFileError(f"{where} is not JSON: it must be the service account's JSON key file "
                           f"(a .p12 key will not do); {NEW_KEY}") from None
    if not isinstance(data, dict):
        raise KeyFileError(f"{where} is not a service account key (not a JSON object); {NEW_KEY}")
    kind = data.get("type")
    if kind != "service_account":
        what = next((OTHER_FILES[k] for k in ("installed", "web") if k in data), None) or (
            OTHER_FILES.get(kind) if isinstance(kind, str) else None)
        what = what or ("a JSON file without type service_account" if kind is None else "not a service account key")
        hint = (" (for a person's consent use flow: authorization_code with its client_id)"
                if what.startswith("an OAuth client") else "")
        raise KeyFileError(f"{where} is {what}{hint}; {NEW_KEY}")
    fields = {}
    for name in ("client_email", "client_id", "private_key"):
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise KeyFileError(f"{where} has no {name}: the file is damaged or cut; {NEW_KEY}")
        fields[name] = value.strip()
    if "@" not in fields["client_email"] or not fields["client_email"].isprintable():
        raise KeyFileError(f"{where}: its client_email is not an address; {NEW_KEY}")
    if not fields["client_id"].isprintable():
        raise KeyFileError(f"{where}: its client_id is not printable text; {NEW_KEY}")
    optional = {}
    for name in ("private_key_id", "token_uri"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not value.isprintable()):
            raise KeyFileError(f"{where}: its {name} is not text; {NEW_KEY}")
        optional[name] = value.strip() or None if value is not None else None
    if optional["token_uri"] is not None:
        _check_token_uri(optional["token_uri"], where)
    try:
        key = RSAKey.import_key(fields["private_key"])
    except (JoseError, ValueError, TypeError):
        key = None
    if key is None or not key.is_private:
        raise KeyFileError(f"{where}: its private_key is not a PEM RSA private key; {NEW_KEY}")
    return ServiceAccountKey(fields["client_email"], fields["client_id"], optional["private_key_id"],
                             optional["token_uri"], key)


def _check_token_uri(uri: str, where: str) -> None:
    from ccctl_email.config import _endpoint

    try:
        _endpoint(uri)
    except ValueError:  # its words quote the address: say what is wanted instead
        raise KeyFileError(f"{where}: its token_uri must be an https:// URL without user or password "
                           f"(plain http only to 127.0.0.1 or localhost)") from None


def check_client_id(oauth, key: ServiceAccountKey, who: str) -> None:
    """``oauth2.client_id``, when given, names the service account the delegation was granted to: a key
    of another account would fail later with a less clear 'unauthorized_client'."""
    if oauth.client_id and oauth.client_id != key.client_id:
        raise KeyFileError(f"{who}: oauth2.service_account_key: {describe(oauth.service_account_key)} is the key of "
                           f"client ID {key.client_id} ({key.client_email}) but oauth2.client_id says "
                           f"{oauth.client_id}: use that account's key, or fix oauth2.client_id")


def token_url(oauth, key: ServiceAccountKey) -> str:
    """``oauth2.token_url`` when set (tests, a proxy), else the key file's, else Google's."""
    return oauth.token_url or key.token_uri or GOOGLE_TOKEN_URI


def exchange(box, key: ServiceAccountKey) -> dict:
    """Sign an assertion for ``box`` (an ``oauth.Mailbox``) and trade it for a token (one HTTP call, with
    the mailbox's timeout). The token endpoint's refusals become errors naming the tenant and the fix;
    network errors and non-JSON answers are left to the caller (``oauth._call``)."""
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.requests_client import AssertionSession

    url = token_url(box.oauth, key)
    header = {"kid": key.private_key_id} if key.private_key_id else {}
    session = AssertionSession(token_endpoint=url, issuer=key.client_email, subject=box.subject, audience=url,
                               claims={"scope": " ".join(box.scopes)}, default_timeout=box.oauth.timeout,
                               key=key.key, alg="RS256", header=header)
    with session:
        try:
            return dict(session.refresh_token())
        except AuthlibBaseError as exc:
            raise refusal(box, key, str(exc.error), exc.description) from None


def refusal(box, key: ServiceAccountKey, error: str, description: str | None) -> CcctlError:
    """What Google's token endpoint says when it refuses a service account, and who must do what."""
    told = f"{error}: {description}" if description else error
    said = "".join(c if c.isprintable() else "?" for c in told)[:300]  # the server's words, made printable
    head = (f"tenant {box.tenant_slug}: mailbox {box.user}: Google refused service account {key.client_email} "
            f"acting as {box.subject} ({said})")
    scopes = ",".join(box.scopes)
    if error in ("unauthorized_client", "access_denied"):
        return CcctlError(f"{head}: domain-wide delegation is not granted: a Workspace super admin must open "
                          f"admin.google.com, Security, Access and data control, API controls, Manage domain wide "
                          f"delegation, Add new: client ID {key.client_id}, OAuth scopes {scopes}")
    if error == "invalid_grant" and description and "signature" in description.lower():
        return CcctlError(f"{head}: the key {key.private_key_id or ''} was deleted, disabled or belongs to "
                          f"another service account; {NEW_KEY}")
    if error == "invalid_grant" and description and ("iat" in description or "timeframe" in description):
        return CcctlError(f"{head}: the assertion's times were refused: set this machine's clock right (NTP)")
    if error == "invalid_grant":
        return CcctlError(f"{head}: check that {box.subject} is a user of the Workspace domain (oauth2.subject, "
                          f"default the mailbox's user), that the key is active, and this machine's clock")
    return CcctlError(f"{head}: check the service account (enabled? the Gmail API enabled in its project?) "
                      f"and its key")
