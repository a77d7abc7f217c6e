"""A small OAuth2 authorization server on 127.0.0.1 for the email OAuth tests.

It issues, expires, revokes and rotates tokens the way Microsoft's and Google's do, and answers
Dovecot's token introspection (``introspection_mode = post``):

* ``POST /devicecode``  RFC 8628 device authorization (the consent is given by ``consent(user)``;
  until then polls get ``authorization_pending``);
* ``POST /token``       grants: device_code, refresh_token (rotating: an old refresh token is dead
  once used), client_credentials, authorization_code (PKCE S256), and Google's service accounts'
  jwt-bearer (RFC 7523: the RS256 signature checked with ``cryptography`` against the account's
  public key, then iss, aud, iat/exp, scope against the domain-wide delegation, and sub);
* ``GET  /authorize``   the consent page of the authorization-code flow: consents as ``consent(user)``
  and redirects with a code;
* ``POST /introspect``  RFC 7662: ``{"active": true, "username": ..., "scope": ...}``.

Tests steer it from Python: ``revoke(user)``, ``expire_access(user)``, ``access_ttl``, ``rotate``,
``add_service_account(...)``, ``clock_offset`` (the server's clock ahead of ours, in seconds), and read
what happened in ``grants`` (a list of grant types served, in order) and ``assertions`` (the claims
of each jwt-bearer assertion whose signature was good).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Google's own words for these refusals (oauth2.googleapis.com/token).
NOT_DELEGATED = ("Client is unauthorized to retrieve access tokens using this method, or client not authorized "
                 "for any of the scopes requested.")
BAD_TIMES = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
             "Check your iat and exp values in the JWT claim.")


class OAuthServer:
    def __init__(self, clients: dict[str, dict]) -> None:
        """``clients``: client_id → {"secret": str | None, "scopes": allowed scopes, "app_scopes": for client credentials}."""
        self.clients = clients
        self.access_ttl = 3600
        self.rotate = True
        self.poll_delay = 1          # polls answered authorization_pending before the consent counts
        self.refresh_delay = 0.0     # seconds a refresh or jwt-bearer grant takes (to make renewals overlap)
        self.consenting: dict | None = None
        self.lock = threading.Lock()
        self.devices: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.grants: list[str] = []
        self.introspections = 0
        self.service_accounts: dict[str, dict] = {}
        self.assertions: list[dict] = []
        self.used_jti: set[str] = set()
        self.clock_offset = 0.0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    # -- steering from tests ---------------------------------------------------------------
    def consent(self, user: str, *, deny: bool = False) -> None:
        """The next device code (or authorization page) is approved (or denied) by ``user``."""
        self.consenting = {"user": user, "deny": deny}

    def revoke(self, user: str) -> None:
        """The user (or an admin) withdraws the app's consent: every token of theirs dies."""
        with self.lock:
            for record in [*self.refresh_tokens.values(), *self.access_tokens.values()]:
                if record["user"] == user:
                    record["dead"] = True

    def expire_access(self, user: str) -> None:
        """The server ends the user's access tokens early (their refresh tokens still work)."""
        with self.lock:
            for record in self.access_tokens.values():
                if record["user"] == user:
                    record["exp"] = 0

    def add_service_account(self, email: str, public_key, client_id: str, delegated: list[str],
                            users: set[str] | None = None) -> None:
        """A service account with its public key; ``delegated``: the scopes a Workspace admin granted its
        client id (domain-wide delegation; empty: none); ``users``: the domain's users (None: anyone)."""
        self.service_accounts[email] = {"public_key": public_key, "client_id": client_id,
                                        "delegated": list(delegated), "users": users}

    def live_refresh_tokens(self, user: str) -> list[str]:
        return [t for t, r in self.refresh_tokens.items() if r["user"] == user and not r.get("dead")]

    def introspect(self, token: str) -> dict:
        with self.lock:
            self.introspections += 1
            record = self.access_tokens.get(token)
            if record is None or record.get("dead") or record["exp"] < time.time():
                return {"active": False}
            return {"active": True, "username": record["user"], "scope": " ".join(record["scopes"]),
                    "exp": int(record["exp"]), "client_id": record["client_id"]}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- the protocol ------------------------------------------------------------------------
    def _client(self, form: dict) -> tuple[str | None, dict | None]:
        client_id = form.get("client_id")
        client = self.clients.get(client_id)
        if client is None:
            return None, {"error": "invalid_client"}
        if client.get("secret") is not None and form.get("client_secret") != client["secret"]:
            return None, {"error": "invalid_client", "error_description": "bad client secret"}
        return client_id, None

    def _scopes(self, client_id: str, requested: str, kind: str = "scopes") -> tuple[list[str] | None, dict | None]:
        scopes = requested.split()
        allowed = self.clients[client_id].get(kind, [])
        wrong = [s for s in scopes if s not in allowed]
        if wrong:
            return None, {"error": "invalid_scope", "error_description": f"not allowed: {' '.join(wrong)}"}
        return scopes, None

    def _issue(self, client_id: str, user: str, scopes: list[str], refresh: bool = True) -> dict:
        access = secrets.token_urlsafe(24)
        self.access_tokens[access] = {"user": user, "scopes": scopes, "exp": time.time() + self.access_ttl,
                                      "client_id": client_id}
        answer = {"access_token": access, "token_type": "Bearer", "expires_in": self.access_ttl,
                  "scope": " ".join(scopes)}
        if refresh:
            token = secrets.token_urlsafe(24)
            self.refresh_tokens[token] = {"user": user, "scopes": scopes, "client_id": client_id}
            answer["refresh_token"] = token
        return answer

    def device_authorization(self, form: dict) -> tuple[int, dict]:
        client_id, error = self._client(form)
        if error:
            return 401, error
        scopes, error = self._scopes(client_id, form.get("scope", ""))
        if error:
            return 400, error
        device_code, user_code = secrets.token_urlsafe(16), secrets.token_hex(4).upper()
        with self.lock:
            self.devices[device_code] = {"client_id": client_id, "scopes": scopes, "polls": 0}
        return 200, {"device_code": device_code, "user_code": user_code, "verification_uri": f"{self.url}/device",
                     "expires_in": 600, "interval": 0}

    def token(self, form: dict) -> tuple[int, dict]:
        if form.get("grant_type") == JWT_BEARER:  # no client_id: the signed assertion says who calls
            time.sleep(self.refresh_delay)
            with self.lock:
                self.grants.append(JWT_BEARER)
                return self._jwt_bearer(form.get("assertion", ""))
        client_id, error = self._client(form)
        if error:
            return 401, error
        grant = form.get("grant_type")
        if grant == "refresh_token" and self.refresh_delay:
            time.sleep(self.refresh_delay)
        with self.lock:
            self.grants.append(grant)
            if grant == DEVICE_GRANT:
                return self._device_token(client_id, form)
            if grant == "refresh_token":
                return self._refresh(client_id, form)
            if grant == "client_credentials":
                if self.clients[client_id].get("secret") is None:
                    return 401, {"error": "unauthorized_client"}
                scopes, error = self._scopes(client_id, form.get("scope", ""), "app_scopes")
                return (400, error) if error else (200, self._issue(client_id, f"app:{client_id}", scopes, False))
            if grant == "authorization_code":
                return self._code_token(client_id, form)
        return 400, {"error": "unsupported_grant_type"}

    def _device_token(self, client_id: str, form: dict) -> tuple[int, dict]:
        device = self.devices.get(form.get("device_code", ""))
        if device is None or device["client_id"] != client_id:
            return 400, {"error": "invalid_grant"}
        device["polls"] += 1
        if self.consenting is None or device["polls"] <= self.poll_delay:
            return 400, {"error": "authorization_pending"}
        del self.devices[form["device_code"]]
        if self.consenting["deny"]:
            return 400, {"error": "access_denied"}
        return 200, self._issue(client_id, self.consenting["user"], device["scopes"])

    def _refresh(self, client_id: str, form: dict) -> tuple[int, dict]:
        record = self.refresh_tokens.get(form.get("refresh_token", ""))
        if record is None or record.get("dead") or record["client_id"] != client_id:
            return 400, {"error": "invalid_grant", "error_description": "refresh token revoked, expired or used"}
        scopes = form.get("scope", "").split() or record["scopes"]
        if any(s not in record["scopes"] for s in scopes):
            return 400, {"error": "invalid_scope"}
        answer = self._issue(client_id, record["user"], scopes, refresh=self.rotate)
        if self.rotate:
            record["dead"] = True
        return 200, answer

    def _jwt_bearer(self, assertion: str) -> tuple[int, dict]:
        try:
            header, claims, signed, signature = split_jwt(assertion)
        except ValueError as exc:
            return 400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {exc}"}
        account = self.service_accounts.get(claims.get("iss"))
        if header.get("alg") != "RS256" or account is None:
            return 400, {"error": "invalid_grant", "error_description": "Invalid grant: account not found"}
        if not verify_rs256(account["public_key"], signed, signature):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        self.assertions.append({"header": header, **claims})
        now = time.time() + self.clock_offset
        iat, exp = claims.get("iat"), claims.get("exp")
        if not all(isinstance(v, int) for v in (iat, exp)) or not (iat - 60 <= now < exp and exp - iat <= 3600):
            return 400, {"error": "invalid_grant", "error_description": BAD_TIMES}
        if claims.get("aud") != f"{self.url}/token":
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: aud is not the token endpoint"}
        if not isinstance(claims.get("jti"), str) or claims["jti"] in self.used_jti:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: jti missing or used before"}
        self.used_jti.add(claims["jti"])
        scopes = str(claims.get("scope", "")).split()
        if not scopes or any(s not in account["delegated"] for s in scopes):
            return 401, {"error": "unauthorized_client", "error_description": NOT_DELEGATED}
        subject = claims.get("sub")
        if not isinstance(subject, str) or (account["users"] is not None and subject not in account["users"]):
            return 400, {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
        answer = self._issue(account["client_id"], subject, scopes, refresh=False)
        del answer["scope"]  # Google's jwt-bearer answer has no scope
        return 200, answer

    def authorize(self, query: dict) -> tuple[int, dict, str | None]:
        client_id = query.get("client_id")
        if client_id not in self.clients or self.consenting is None:
            return 400, {"error": "invalid_request"}, None
        scopes, error = self._scopes(client_id, query.get("scope", ""))
        redirect = query.get("redirect_uri", "")
        if error:
            return 302, {}, f"{redirect}?{urlencode({**error, 'state': query.get('state', '')})}"
        if self.consenting["deny"]:
            return 302, {}, f"{redirect}?{urlencode({'error': 'access_denied', 'state': query.get('state', '')})}"
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {"client_id": client_id, "scopes": scopes, "user": self.consenting["user"],
                                "challenge": query.get("code_challenge"), "redirect_uri": redirect}
        return 302, {}, f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def _code_token(self, client_id: str, form: dict) -> tuple[int, dict]:
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["client_id"] != client_id or grant["redirect_uri"] != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["challenge"] != digest:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier does not match"}
        return 200, self._issue(client_id, grant["user"], grant["scopes"])


def _handler(server: OAuthServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet: pytest shows failures, not every request
            pass

        def _answer(self, status: int, body: dict, location: str | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            path = urlsplit(self.path).path
            if path == "/devicecode":
                self._answer(*server.device_authorization(form))
            elif path == "/token":
                self._answer(*server.token(form))
            elif path == "/introspect":
                self._answer(200, server.introspect(form.get("token", "")))
            else:
                self._answer(404, {"error": "not_found"})

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self._answer(*server.authorize(query))
            else:
                self._answer(404, {"error": "not_found"})

    return Handler


def _b64url(part: str) -> bytes:
    if not part or not set(part) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def split_jwt(assertion: str) -> tuple[dict, dict, bytes, bytes]:
    """(header, claims, signed bytes, signature) of a compact JWS, as a server reads it; ValueError otherwise."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise ValueError("not three parts")
    try:
        header, claims = (json.loads(_b64url(p)) for p in parts[:2])
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError("not JSON") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("header or claims not an object")
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), _b64url(parts[2])


def verify_rs256(public_key, signed: bytes, signature: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 with SHA-256 (JWA RS256), checked by ``cryptography`` (not the library that signed)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def parse_xoauth2(text: str) -> tuple[str, str]:
    """(user, token) from an XOAUTH2 initial response, as a server reads it; ValueError otherwise."""
    if not text.endswith("\x01\x01"):
        raise ValueError("XOAUTH2: missing the closing ^A^A")
    fields: dict[str, str] = {}
    for part in text[:-2].split("\x01"):
        key, sep, value = part.partition("=")
        if not sep or key in fields:
            raise ValueError(f"XOAUTH2: bad or repeated field {key[:20]!r}")
        fields[key] = value
    if set(fields) != {"user", "auth"}:
        raise ValueError("XOAUTH2: needs exactly user= and auth=")
    scheme, _, token = fields["auth"].partition(" ")
    if scheme.lower() != "bearer" or not token or " " in token:
        raise ValueError("XOAUTH2: auth= must be 'Bearer <token>'")
    if not fields["user"]:
        raise ValueError("XOAUTH2: empty user")
    return fields["user"], token


class XOAuth2Smtp:
    """A real SMTP server (aiosmtpd) that accepts AUTH XOAUTH2 only, checking tokens with ``oauth``."""

    def __init__(self, oauth: OAuthServer, scope: str = "smtp") -> None:
        from aiosmtpd.controller import Controller

        self.oauth, self.scope = oauth, scope
        self.messages: list[dict] = []
        self.logins: list[str] = []
        self.refusals = 0
        with __import__("socket").socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, auth_require_tls=False,
                                     auth_exclude_mechanism=["LOGIN", "PLAIN"])
        self.controller.start()

    async def auth_XOAUTH2(self, server, args):
        from aiosmtpd.smtp import AuthResult

        raw = base64.b64decode(args[1]) if len(args) > 1 else await server.challenge_auth("")
        try:
            user, token = parse_xoauth2(raw.decode())
        except (ValueError, UnicodeDecodeError, AttributeError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 bad XOAUTH2")
        found = self.oauth.introspect(token)
        # A user's token is good for that user's mailbox; an application's (client credentials) for any.
        owner_ok = found.get("username") == user or str(found.get("username")).startswith("app:")
        if found.get("active") and owner_ok and self.scope in found["scope"].split():
            self.logins.append(user)
            return AuthResult(success=True, auth_data=user)
        self.refusals += 1
        await server.challenge_auth(json.dumps({"status": "401", "schemes": "bearer", "scope": self.scope}))
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope):
        import email

        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "login": session.auth_data,
                              "message": email.message_from_bytes(envelope.content)})
        return "250 Message accepted"

    def stop(self) -> None:
        self.controller.stop()
