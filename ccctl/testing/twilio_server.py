"""A Twilio-compatible REST server on loopback, for tests and benches.

It speaks the request and response shapes of Twilio's API 2010 (twilio/twilio-oai,
``spec/yaml/twilio_api_v2010.yaml``) for the two resources ccctl uses:

* Messages: ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (create), ``GET .../Messages.json``
  (list, newest first, filters ``To``, ``From``, ``DateSent``, ``DateSent<``, ``DateSent>``, paging),
  ``GET .../Messages/{MessageSid}.json`` (fetch).
* Calls: ``POST .../Calls.json`` (create), ``GET .../Calls.json`` (list), ``GET|POST .../Calls/{CallSid}.json``
  (fetch, update with ``Status=canceled|completed``, ``Url`` or ``Twiml``).

The real SDK is pointed at it with ``client.api.base_url = server.url`` (see :meth:`client`).
Behaviour is programmable: per-number permanent errors (21211, 21610, 21614...), queued
failures on creates, lists or fetches (429/20429, 5xx, 401), in Twilio's legacy error shape or
as RFC 9457 problem details (``rfc9457=True``), responses lost after the message or call was
stored (the ambiguous case that makes exactly-once hard), requests held unanswered
(``hold_creates``), a server that is down (``down()``/``up()``: connections refused), Body
length limits (1,600 characters, 21617), lists that lag behind creates (``list_lag``), a fixed
latency per request, basic-auth checking, child call legs with ``ParentCallSid``
(:meth:`bridge`), and signed callbacks (status callbacks, inbound SMS, TwiML fetches) posted to
your webhook URLs.

Shipped with ccctl for plugin authors: the ``twilio_server`` fixture of :mod:`ccctl.testing`
gives a started one per test. :meth:`TwilioTestServer.contract_problems` checks every request
it received and every answer it gave against the part of Twilio's OpenAPI description shipped
beside it (``ccctl/testing/twilio_openapi/``, MIT licence; :mod:`ccctl.testing.twilio_contract`,
which needs ``pip install ccctl[test]``). Standard library plus the twilio SDK (a ccctl
dependency) otherwise.

Run it by hand: ``python -m ccctl.testing.twilio_server --port 8099 --latency 0.1``.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ccctl.testing.twilio_webhooks import WebhookSender, rfc2822

API = "/2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Twilio's documented error codes and the HTTP status each comes with.
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21201: (400, "No 'To' number is specified"),
    21205: (400, "Url parameter is required."),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21213: (400, "No 'From' number is specified"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
}
MAX_BODY = 1600
GSM_HINT = re.compile(r"^[\x0a\x0d\x20-\x7e£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà€]*$")


@dataclass(frozen=True)
class Failure:
    """A programmed failure: HTTP ``status`` and Twilio ``code``, for requests of kind ``on``."""

    status: int
    code: int
    to: str | None = None
    on: str = "create"
    rfc9457: bool = False


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Request:
    """One request the server received, whatever its outcome."""

    method: str
    path: str
    params: dict[str, Any]
    status: int
    account: str | None
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    body: dict[str, Any] | None = None   # the JSON answered (None: the connection was dropped)


class TwilioTestServer(WebhookSender):
    """A threaded HTTP server speaking the Twilio REST API on 127.0.0.1 (a free port by default)."""

    errors = ERRORS  # for WebhookSender

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None,
                 latency: float = 0.0, port: int = 0) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.accounts = {self.account_sid: self.auth_token}
        self.latency = latency
        # Programmable behaviour.
        self.list_lag = 0.0                           # seconds before a new message shows in lists
        self.number_errors: dict[str, int] = {}       # To number -> permanent error code
        self.call_outcomes: dict[str, str] = {}       # To number -> final call status for answer_call
        self._transient: list[Failure] = []           # failures queued for the next matching requests
        self._lose: list[str | None] = []             # lose the response of the next creates (To filter)
        self.rfc9457 = False                          # every error as RFC 9457 problem details
        self.hold_creates = threading.Event()         # cleared: creates wait (unanswered) until it is set
        self.hold_creates.set()
        self.held = 0                                 # creates waiting right now
        self.connections: set = set()                 # open client sockets (closed by down())
        # State.
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.message_params: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.call_params: dict[str, dict[str, Any]] = {}
        self.callbacks: list[dict[str, Any]] = []     # webhooks we posted, with their answers
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> TwilioTestServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _QuietServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="twilio-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> TwilioTestServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, account_sid: str | None = None, auth_token: str | None = None):
        """A real ``twilio.rest.Client`` whose Messages and Calls go to this server."""
        from twilio.rest import Client

        client = Client(account_sid or self.account_sid, auth_token or self.auth_token)
        client.api.base_url = self.url
        return client

    # -- programming behaviour --------------------------------------------------------------
    def fail_next(self, status: int = 429, count: int = 1, code: int | None = None, to: str | None = None,
                  on: str = "create", rfc9457: bool = False) -> None:
        """The next ``count`` requests of kind ``on`` (``create``, ``list``, ``fetch`` or ``any``; for
        creates, to ``to`` only if given) fail with ``status``; nothing is stored."""
        code = code or {401: 20003, 429: 20429, 500: 20500, 503: 20503}.get(status, status)
        with self.lock:
            self._transient.extend([Failure(status, code, to, on, rfc9457)] * count)

    def down(self) -> None:
        """The provider is unreachable: the port stops listening (connections refused)."""
        if self._httpd is not None:
            import socket

            self._port = self.port
            self.stop()
            with self.lock:
                open_now = list(self.connections)
            for conn in open_now:  # kept-alive connections must not outlive the "outage"
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def up(self) -> None:
        """Back on the same port, with the same state."""
        if self._httpd is None:
            self.start()

    def lose_response(self, count: int = 1, to: str | None = None) -> None:
        """The next ``count`` creates are stored, then the connection is closed without an answer."""
        with self.lock:
            self._lose.extend([to] * count)

    def reset_log(self) -> None:
        with self.lock:
            self.requests.clear()

    def contract_problems(self) -> list[str]:
        """Every logged request and answer checked against Twilio's OpenAPI description: [] when all
        conform (``assert twilio_server.contract_problems() == []``). Needs ``pip install ccctl[test]``."""
        from ccctl.testing.twilio_contract import check_server_log

        return check_server_log(self)

    # -- inspection -------------------------------------------------------------------------
    def created_messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Messages the server stored (accepted for sending), oldest first."""
        with self.lock:
            rows = list(self.messages.values())
        return [m for m in rows if to is None or m["to"] == to]

    def create_requests(self, resource: str = "Messages") -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith(f"/{resource}.json")]

    # -- request handling (called from the handler threads) ---------------------------------
    def handle(self, method: str, path: str, query: dict[str, Any], form: dict[str, Any],
               auth: tuple[str, str] | None) -> tuple[int, dict[str, Any] | None]:
        """Return (status, JSON body); a None body means: drop the connection without answering."""
        if self.latency:
            time.sleep(self.latency)
        params = {**query, **form}
        match = re.match(rf"^{API}/Accounts/(?P<account>AC\w+)/(?P<rest>.*)$", path)
        account = auth[0] if auth else None
        if auth is None or self.accounts.get(auth[0]) != auth[1]:
            return self._log(method, path, params, account, *self._error(20003))
        if match is None or match["account"] != auth[0]:
            return self._log(method, path, params, account, *self._error(20404, path=path))
        rest = match["rest"]
        route = {
            ("POST", "Messages.json"): self._create_message,
            ("GET", "Messages.json"): lambda p: self._list("messages", self.messages, p, path),
            ("POST", "Calls.json"): self._create_call,
            ("GET", "Calls.json"): lambda p: self._list("calls", self.calls, p, path),
        }.get((method, rest))
        if route is None:
            item = re.match(r"^(Messages|Calls)/(\w+)\.json$", rest)
            if item and method == "GET":
                store = self.messages if item[1] == "Messages" else self.calls
                route = lambda p: self._fetch(store, item[2], path)  # noqa: E731
            elif item and method == "POST" and item[1] == "Calls":
                route = lambda p: self._update_call(item[2], p, path)  # noqa: E731
        if route is None:
            return self._log(method, path, params, account, *self._error(20404, path=path))
        kind = "create" if method == "POST" and rest.endswith(("Messages.json", "Calls.json")) else (
            "list" if method == "GET" and rest.endswith(("Messages.json", "Calls.json")) else "fetch")
        if kind != "create":  # creates check their failures after reading To
            failure = self._take_transient(kind, None)
            if failure:
                return self._log(method, path, params, account, *self._failure(failure, path))
        status, body = route(params)
        return self._log(method, path, params, account, status, body)

    def _log(self, method, path, params, account, status, body):
        with self.lock:
            self.requests.append(Request(method, path, params, status if body is not None else 0, account,
                                         body=copy.deepcopy(body)))
        return status, body

    def _error(self, code: int, status: int | None = None, rfc9457: bool = False,
               **fields: str) -> tuple[int, dict[str, Any]]:
        known_status, text = ERRORS.get(code, (status or 400, "Error {code}"))
        status = status or known_status
        message = text.format(code=code, **{"path": "", "to": "", **fields})
        if rfc9457 or self.rfc9457:  # the newer problem-details shape (twilio-python's TwilioServiceException)
            return status, {"type": f"https://www.twilio.com/docs/errors/{code}", "title": message,
                            "status": status, "code": code, "detail": message, "instance": fields.get("path", "")}
        return status, {"code": code, "message": message,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}

    def _failure(self, failure: Failure, path: str) -> tuple[int, dict[str, Any]]:
        return self._error(failure.code, failure.status, failure.rfc9457, path=path)

    def _take_transient(self, kind: str, to: str | None) -> Failure | None:
        with self.lock:
            for i, failure in enumerate(self._transient):
                if failure.on in (kind, "any") and (failure.to is None or failure.to == to):
                    del self._transient[i]
                    return failure
        return None

    def _take_lose(self, to: str) -> bool:
        with self.lock:
            for i, only in enumerate(self._lose):
                if only is None or only == to:
                    del self._lose[i]
                    return True
        return False

    def _refuse(self, to: str) -> tuple[int, dict[str, Any]] | None:
        """The checks creates share: a To, programmed transient failures, then permanent ones."""
        if not to:
            return self._error(21201)
        failure = self._take_transient("create", to)
        if failure:
            return self._failure(failure, "")
        if not E164.match(to):
            return self._error(21211, to=to)
        if to in self.number_errors:
            return self._error(self.number_errors[to], to=to)
        return None

    def _create_message(self, p: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        to, sender, service, body = p.get("To", ""), p.get("From"), p.get("MessagingServiceSid"), p.get("Body")
        refused = self._refuse(to)
        if refused:
            return refused
        if not sender and not service:
            return self._error(21603)
        if not body and not p.get("MediaUrl"):
            return self._error(21602)
        if len(body or "") > MAX_BODY:
            return self._error(21617)
        self._wait_if_held()
        now = datetime.now(timezone.utc)
        sid = new_sid("SM")
        message = {
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": body,
            "date_created": rfc2822(now), "date_sent": None, "date_updated": rfc2822(now),
            "direction": "outbound-api", "error_code": None, "error_message": None, "from": sender,
            "messaging_service_sid": service, "num_media": "0", "num_segments": str(_segments(body or "")),
            "price": None, "price_unit": "USD", "sid": sid, "status": "accepted" if service and not sender else "queued",
            "subresource_uris": {"media": f"{API}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "to": to, "uri": f"{API}/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        with self.lock:
            self.messages[sid] = message
            self.message_params[sid] = dict(p)
        if self._take_lose(to):
            return 201, None
        return 201, message

    def _create_call(self, p: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        to, sender = p.get("To", ""), p.get("From", "")
        refused = self._refuse(to)
        if refused:
            return refused
        if not sender:
            return self._error(21213)
        if not (p.get("Url") or p.get("Twiml") or p.get("ApplicationSid")):
            return self._error(21205)
        self._wait_if_held()
        sid = self._store_call(to, sender, p)
        if self._take_lose(to):
            return 201, None
        return 201, self.calls[sid]

    def _wait_if_held(self) -> None:
        with self.lock:
            self.held += 1
        try:
            self.hold_creates.wait(60)
        finally:
            with self.lock:
                self.held -= 1

    def _store_call(self, to: str, sender: str, params: dict[str, Any], parent_sid: str | None = None) -> str:
        now = datetime.now(timezone.utc)
        sid = new_sid("CA")
        call = {
            "account_sid": self.account_sid, "answered_by": None, "api_version": "2010-04-01",
            "caller_name": None, "date_created": rfc2822(now), "date_updated": rfc2822(now),
            "direction": "outbound-dial" if parent_sid else "outbound-api",
            "duration": None, "end_time": None, "forwarded_from": None, "from": sender, "from_formatted": sender,
            "group_sid": None, "parent_call_sid": parent_sid, "phone_number_sid": None, "price": None,
            "price_unit": "USD", "queue_time": "0", "sid": sid, "start_time": None, "status": "queued",
            "subresource_uris": {"recordings": f"{API}/Accounts/{self.account_sid}/Calls/{sid}/Recordings.json"},
            "to": to, "to_formatted": to, "trunk_sid": None, "uri": f"{API}/Accounts/{self.account_sid}/Calls/{sid}.json",
        }
        with self.lock:
            self.calls[sid] = call
            self.call_params[sid] = {k: v for k, v in params.items() if v is not None}
        return sid

    def _update_call(self, sid: str, p: dict[str, Any], path: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            call = self.calls.get(sid)
            if call is None:
                return self._error(20404, path=path)
            for key in ("Url", "Twiml", "Method", "StatusCallback"):
                if key in p:
                    self.call_params[sid][key] = p[key]
        if p.get("Status") in ("canceled", "completed"):
            self.set_call_status(sid, p["Status"], duration=0, callback=True)
        return 200, call

    def _fetch(self, store: dict[str, dict[str, Any]], sid: str, path: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            found = store.get(sid)
        return (200, found) if found is not None else self._error(20404, path=path)

    def _list(self, key: str, store: dict[str, dict[str, Any]], p: dict[str, Any], path: str):
        with self.lock:
            rows = list(reversed(store.values()))  # newest first, as Twilio lists
        if self.list_lag:  # Twilio's lists are eventually consistent
            horizon = datetime.now(timezone.utc) - timedelta(seconds=self.list_lag)
            rows = [r for r in rows if _parse(r["date_created"]) <= horizon]
        for name in ("To", "From", "Status"):
            if p.get(name):
                rows = [r for r in rows if r.get(name.lower()) == p[name]]
        for name, test in (("DateSent", lambda d, v: d == v), ("DateSent<", lambda d, v: d <= v),
                           ("DateSent>", lambda d, v: d >= v)):
            if p.get(name):
                # Twilio filters on the day; messages not sent yet have no date_sent and never match.
                wanted = str(p[name])[:10]
                rows = [r for r in rows if r.get("date_sent") and test(_day(r["date_sent"]), wanted)]
        size = max(1, min(int(p.get("PageSize") or 50), 1000))
        page = int(p.get("Page") or 0)
        chunk = rows[page * size:(page + 1) * size]
        query = {k: v for k, v in p.items() if k not in ("Page", "PageToken", "PageSize")}

        def uri(n: int) -> str:
            return path + "?" + urllib.parse.urlencode({**query, "PageSize": size, "Page": n, "PageToken": f"PA{n}"})

        more = (page + 1) * size < len(rows)
        return 200, {key: chunk, "end": page * size + len(chunk) - 1, "first_page_uri": uri(0),
                     "next_page_uri": uri(page + 1) if more else None, "page": page, "page_size": size,
                     "previous_page_uri": uri(page - 1) if page else None, "start": page * size, "uri": uri(page)}


def _parse(rfc: str) -> datetime:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(rfc)


def _day(rfc: str) -> str:
    return _parse(rfc).astimezone(timezone.utc).strftime("%Y-%m-%d")


def _segments(body: str) -> int:
    # Rough count for the response field only (the plugin under test computes its own exactly).
    single, multi = (160, 153) if GSM_HINT.match(body) else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)  # a client killed mid-request is expected


class _Handler(BaseHTTPRequestHandler):
    owner: TwilioTestServer
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        with self.owner.lock:
            self.owner.connections.add(self.connection)

    def finish(self) -> None:
        with self.owner.lock:
            self.owner.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def _dispatch(self, method: str) -> None:
        try:
            self._answer(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (killed mid-request): nothing to answer

    def _answer(self, method: str) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        status, body = self.owner.handle(method, parsed.path, _flat(parsed.query), _flat(raw), self._auth())
        if body is None:  # the message is stored but the client never hears about it
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if status == 204:  # deleted: no body at all (a keep-alive connection must not see stray bytes)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(data)

    def _auth(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")


def _flat(text: str) -> dict[str, Any]:
    """Form or query string to a dict; repeated keys (StatusCallbackEvent) become lists."""
    out: dict[str, Any] = {}
    for key, values in urllib.parse.parse_qs(text, keep_blank_values=True).items():
        out[key] = values[0] if len(values) == 1 else values
    return out


def main(argv: list[str] | None = None, ready: Callable[[TwilioTestServer], None] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--account-sid")
    parser.add_argument("--auth-token")
    args = parser.parse_args(argv)
    server = TwilioTestServer(args.account_sid, args.auth_token, args.latency, args.port).start()
    print(json.dumps({"url": server.url, "account_sid": server.account_sid, "auth_token": server.auth_token}),
          flush=True)
    if ready:
        ready(server)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
