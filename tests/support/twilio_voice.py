"""Simulated inbound phone calls, the way Twilio Programmable Voice makes them, on loopback.

:class:`VoiceSimulator` is the Twilio-compatible REST server (``twilio_server.py``) plus:

* numbers: ``add_number(number, base_url, slug, auth_token)`` is what pasting the webhook URLs
  in Twilio's console does (``/t/<slug>/voice/incoming`` and ``/voice/status``);
* calls: ``place_call(from_, to, keys=[...])`` posts the signed ``incoming`` webhook, then
  executes the TwiML it gets back: ``Say``, ``Play``, ``Pause``, ``Gather`` (the next entry of
  ``keys``; None is a timeout), ``Redirect``, ``Enqueue`` (polling ``waitUrl`` until the call is
  dequeued, leaves, or the caller hangs up; keys pressed meanwhile with ``call.press``),
  ``Leave``, ``Dial``/``Number`` (the dialled party answers, is busy or does not answer, as
  ``answers`` says; its ``url`` whisper is fetched for it), ``Record``, ``Hangup``; and posts
  the final status callback;
* the Queues and Queue Members REST API (list, fetch, and dequeue a member to a ``Url``) and
  Recording delete; like every request and answer the server logs, they are checked against
  Twilio's OpenAPI description by the inherited ``contract_problems()``
  (:mod:`ccctl.testing.twilio_contract`).
"""

from __future__ import annotations

import queue as queues
import re
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from support.twilio_server import API, TwilioTestServer, new_sid, rfc2822

RECORDING_PATH = re.compile(rf"^{API}/Accounts/(?P<account>AC\w+)/Recordings/(?P<sid>RE\w+)\.json$")
QUEUE_PATH = re.compile(rf"^{API}/Accounts/(?P<account>AC\w+)/Queues(?:/(?P<queue>QU\w+))?"
                        r"(?:/(?P<members>Members)(?:/(?P<member>\w+))?)?\.json$")
MAX_STEPS = 200


class CallFailed(Exception):
    """A webhook answered something other than 200 with TwiML (Twilio would play its error message)."""


@dataclass
class Line:
    number: str
    base: str  # http://127.0.0.1:PORT/t/<slug>/voice
    auth_token: str
    account_sid: str


@dataclass
class SimQueue:
    sid: str
    account_sid: str
    name: str
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # CallSid -> {enqueued, call}


class SimCall:
    """One inbound call; ``transcript`` is what the caller heard and did, in order."""

    def __init__(self, sim: VoiceSimulator, line: Line, from_: str, keys, answers, talk_seconds: int,
                 poll_interval: float, message_seconds: int) -> None:
        self.sim, self.line, self.from_ = sim, line, from_
        self.sid = new_sid("CA")
        self.keys = list(keys)
        self.answers = {number: list(outcome) if isinstance(outcome, list | tuple) else [outcome]
                        for number, outcome in (answers or {}).items()}
        self.talk_seconds, self.poll_interval, self.message_seconds = talk_seconds, poll_interval, message_seconds
        self.transcript: list[tuple[str, str]] = []
        self.dialled: list[tuple[str, str]] = []
        self.whispers: list[str] = []
        self.state = "ringing"
        self.error: BaseException | None = None
        self.changed = threading.Condition()
        self.pressed: queues.Queue[str] = queues.Queue()
        self.dequeue_to: tuple[str, str] | None = None
        self.hangup_requested = False
        self.polls = 0
        self.played = 0  # seconds of audio played: the caller's clock runs faster than the test's
        self.started = time.monotonic()
        self.thread: threading.Thread | None = None

    # -- what a test does -------------------------------------------------------------------
    def press(self, digits: str) -> None:
        """Key ``digits`` at the next Gather of the waiting music."""
        self.pressed.put(digits)
        self._notify()

    def hang_up(self) -> None:
        """The caller hangs up while waiting in the queue."""
        self.hangup_requested = True
        self._notify()

    def wait_for(self, predicate, timeout: float = 20.0) -> SimCall:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0 or (self.state == "completed" and not predicate(self)):
                    raise AssertionError(f"call {self.sid} state {self.state}: condition not met; "
                                         f"transcript {self.transcript}; error {self.error!r}")
                self.changed.wait(min(left, 0.1))
        return self

    def waiting(self, polls: int = 1, timeout: float = 20.0) -> SimCall:
        """Until the caller is in the queue and heard the waiting message ``polls`` times."""
        return self.wait_for(lambda c: c.state == "queued" and c.polls >= polls, timeout)

    def finished(self, timeout: float = 30.0) -> SimCall:
        if self.thread is not None:
            self.thread.join(timeout)
            assert not self.thread.is_alive(), f"call {self.sid} still running: {self.transcript}"
        if self.error is not None:
            raise self.error
        return self

    def heard(self, kind: str | None = None) -> list[str]:
        return [text for verb, text in self.transcript if kind is None or verb == kind]

    # -- running the call -------------------------------------------------------------------
    def _notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def _set(self, state: str) -> None:
        self.state = state
        self._notify()

    def run(self) -> None:
        try:
            url = f"{self.line.base}/incoming"
            self._set("in-progress")
            self._execute(self._fetch(url, {"CallStatus": "ringing"}), url)
        except BaseException as exc:  # kept for the test thread: finished() raises it
            self.error = exc
        finally:
            self.sim.leave_queues(self.sid)
            if self.error is None or not isinstance(self.error, CallFailed):
                duration = max(1, int(time.monotonic() - self.started)) + self._talked
                self._post(f"{self.line.base}/status", {"CallStatus": "completed", "CallDuration": str(duration)})
            self._set("completed")

    _talked = 0

    def _params(self, extra: dict[str, str]) -> dict[str, str]:
        return {"AccountSid": self.line.account_sid, "ApiVersion": "2010-04-01", "CallSid": self.sid,
                "From": self.from_, "To": self.line.number, "Caller": self.from_, "Called": self.line.number,
                "Direction": "inbound", "CallStatus": "in-progress", **extra}

    def _post(self, url: str, extra: dict[str, str], call_params: dict[str, str] | None = None) -> tuple[int, str]:
        params = call_params or self._params(extra)
        return self.sim.post_webhook(url, params, auth_token=self.line.auth_token)

    def _fetch(self, url: str, extra: dict[str, str] | None = None) -> str:
        status, body = self._post(url, extra or {})
        if status != 200:
            raise CallFailed(f"{url} answered {status}: {body[:300]}")
        return body

    def _execute(self, document: str, url: str, steps: list[int] | None = None) -> str | None:
        """Run one TwiML document; returns "leave"/"hangup" when the wait music ended the wait."""
        steps = steps if steps is not None else [0]
        root = ET.fromstring(document)
        assert root.tag == "Response", f"{url} answered <{root.tag}>, not <Response>"
        for verb in root:
            steps[0] += 1
            assert steps[0] < MAX_STEPS, f"call {self.sid} loops: {self.transcript[-10:]}"
            tag, text = verb.tag, (verb.text or "").strip()
            if tag in ("Say", "Play"):
                self.transcript.append((tag, text))
                self.played += 1  # seconds of the caller's time, at least
            elif tag == "Pause":
                self.transcript.append((tag, verb.get("length", "1")))
                self.played += int(verb.get("length", "1"))
            elif tag == "Gather":
                for inner in verb:
                    self.transcript.append((inner.tag, (inner.text or "").strip()))
                digits = self._next_keys()
                if digits is None:
                    continue  # timeout: the verbs after the Gather
                self.transcript.append(("Keyed", digits))
                action = urllib.parse.urljoin(url, verb.get("action") or url)
                return self._execute(self._fetch(action, {"Digits": digits}), action, steps)
            elif tag == "Redirect":
                target = urllib.parse.urljoin(url, text)
                return self._execute(self._fetch(target), target, steps)
            elif tag == "Enqueue":
                return self._enqueue(verb, url, steps)
            elif tag == "Leave":
                return "leave"
            elif tag == "Dial":
                return self._dial(verb, url, steps)
            elif tag == "Record":
                return self._record(verb, url, steps)
            elif tag in ("Hangup", "Reject"):
                self.transcript.append((tag, ""))
                return "hangup"
            else:
                raise AssertionError(f"unknown TwiML verb <{tag}> from {url}")
        return None  # the end of a document: Twilio hangs up

    def _next_keys(self) -> str | None:
        if self.state == "queued":
            try:
                return self.pressed.get_nowait()
            except queues.Empty:
                return None
        return self.keys.pop(0) if self.keys else None

    def _enqueue(self, verb, url: str, steps) -> str | None:
        name = (verb.text or "").strip()
        wait_url = urllib.parse.urljoin(url, verb.get("waitUrl") or "")
        action = verb.get("action")
        sim_queue = self.sim.join_queue(self.line.account_sid, name, self)
        self.transcript.append(("Enqueue", name))
        self.dequeue_to = None
        self._set("queued")
        entered, played_before = time.monotonic(), self.played
        result = None
        while result is None:
            if self.hangup_requested:
                result = "hangup"
                break
            if self.dequeue_to is not None:
                self.sim.leave_queues(self.sid)
                self._set("dequeued")
                target, _method = self.dequeue_to
                return self._execute(self._fetch(target), target, steps)  # the Enqueue's action is not asked
            waited = int(time.monotonic() - entered) + self.played - played_before
            members = list(sim_queue.members)
            position = members.index(self.sid) + 1 if self.sid in members else 1
            document = self._fetch(wait_url, {"QueueSid": sim_queue.sid, "QueuePosition": str(position),
                                              "QueueTime": str(waited), "AvgQueueTime": str(waited),
                                              "CurrentQueueSize": str(len(members))})
            ended = self._execute(document, wait_url, steps)
            self.polls += 1
            self._notify()
            if ended in ("leave", "hangup"):
                result = ended
                break
            with self.changed:
                if self.dequeue_to is None and not self.hangup_requested and self.pressed.empty():
                    self.changed.wait(self.poll_interval)
        self.sim.leave_queues(self.sid)
        if not action:
            return "hangup" if result == "hangup" else None
        target = urllib.parse.urljoin(url, action)
        waited = int(time.monotonic() - entered) + self.played - played_before
        document = self._fetch(target, {"QueueResult": result, "QueueSid": sim_queue.sid, "QueueTime": str(waited)})
        if result == "hangup":
            return "hangup"  # the caller is gone: what the action answers is not played
        return self._execute(document, target, steps)

    def _dial(self, verb, url: str, steps) -> str | None:
        numbers = [n for n in verb if n.tag == "Number"] or [verb]
        number_el = numbers[0]
        number = (number_el.text or "").strip()
        planned = self.answers.get(number) or ["answer"]
        outcome = planned.pop(0) if len(planned) > 1 else planned[0]
        self.dialled.append((number, outcome))
        self._set("dialing")
        status, talked = {"answer": ("completed", self.talk_seconds)}.get(outcome, (outcome, 0))
        if outcome == "answer" and number_el.get("url"):
            whisper = urllib.parse.urljoin(url, number_el.get("url"))
            leg = {**self._params({}), "CallSid": new_sid("CA"), "From": self.line.number, "To": number,
                   "Direction": "outbound-dial", "ParentCallSid": self.sid}
            code, body = self._post(whisper, {}, call_params=leg)
            if code != 200:
                raise CallFailed(f"whisper {whisper} answered {code}: {body[:200]}")
            self.whispers += [(el.text or "").strip() for el in ET.fromstring(body) if el.tag == "Say"]
        self._talked += talked
        self.transcript.append(("Dial", f"{number}:{outcome}"))
        action = verb.get("action")
        if not action:
            return None
        target = urllib.parse.urljoin(url, action)
        document = self._fetch(target, {"DialCallStatus": status, "DialCallSid": new_sid("CA"),
                                        "DialCallDuration": str(talked)})
        return self._execute(document, target, steps)

    def _record(self, verb, url: str, steps) -> str | None:
        sid = new_sid("RE")
        recording = f"{self.sim.url}{API}/Accounts/{self.line.account_sid}/Recordings/{sid}"
        fields = {"RecordingSid": sid, "RecordingUrl": recording, "RecordingDuration": str(self.message_seconds)}
        self.transcript.append(("Record", sid))
        with self.sim.lock:
            self.sim.recordings[sid] = self.line.account_sid
        if verb.get("recordingStatusCallback"):
            callback = urllib.parse.urljoin(url, verb.get("recordingStatusCallback"))
            self._fetch(callback, {**fields, "RecordingStatus": "completed", "RecordingChannels": "1",
                                   "RecordingSource": "RecordVerb"})
        action = urllib.parse.urljoin(url, verb.get("action") or url)
        return self._execute(self._fetch(action, {**fields, "Digits": "hangup"}), action, steps)


class VoiceSimulator(TwilioTestServer):
    """The Twilio-compatible server that also places inbound calls and serves Queues/Members."""

    def __init__(self, *args, poll_interval: float = 0.05, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[str, Line] = {}
        self.queues: dict[str, SimQueue] = {}
        self.inbound: dict[str, SimCall] = {}
        self.poll_interval = poll_interval
        self.member_failures: list[int] = []  # HTTP statuses the next Members updates answer
        self.recordings: dict[str, str] = {}  # RecordingSid -> account (deleted ones leave)

    def add_account(self, account_sid: str | None = None, auth_token: str | None = None) -> tuple[str, str]:
        import secrets

        account_sid, auth_token = account_sid or new_sid("AC"), auth_token or secrets.token_hex(16)
        self.accounts[account_sid] = auth_token
        return account_sid, auth_token

    def add_number(self, number: str, server_url: str, slug: str, account_sid: str | None = None) -> Line:
        """Point ``number`` at tenant ``slug`` of ``ccctl serve`` (the console's webhook settings)."""
        account_sid = account_sid or self.account_sid
        line = Line(number, f"{server_url.rstrip('/')}/t/{slug}/voice", self.accounts[account_sid], account_sid)
        self.lines[number] = line
        return line

    def place_call(self, from_: str, to: str, keys=(), answers: dict | None = None, talk_seconds: int = 42,
                   background: bool = False, message_seconds: int = 7) -> SimCall:
        """An inbound call from ``from_`` to the configured number ``to``; ``keys``: one entry per Gather."""
        call = SimCall(self, self.lines[to], from_, keys, answers, talk_seconds, self.poll_interval,
                       message_seconds)
        with self.lock:
            self.inbound[call.sid] = call
        call.thread = threading.Thread(target=call.run, name=f"call-{call.sid[:8]}", daemon=True)
        call.thread.start()
        return call if background else call.finished()

    # -- queues ---------------------------------------------------------------------------------
    def join_queue(self, account_sid: str, name: str, call: SimCall) -> SimQueue:
        with self.lock:
            found = next((q for q in self.queues.values() if q.account_sid == account_sid and q.name == name), None)
            if found is None:
                found = SimQueue(new_sid("QU"), account_sid, name)
                self.queues[found.sid] = found
            found.members[call.sid] = {"enqueued": datetime.now(timezone.utc), "call": call}
        return found

    def leave_queues(self, call_sid: str) -> None:
        with self.lock:
            for sim_queue in self.queues.values():
                sim_queue.members.pop(call_sid, None)

    def handle(self, method, path, query, form, auth):
        match = QUEUE_PATH.match(path) or RECORDING_PATH.match(path)
        if match is None:
            return super().handle(method, path, query, form, auth)
        params = {**query, **form}
        account = auth[0] if auth else None
        if auth is None or self.accounts.get(auth[0]) != auth[1] or match["account"] != auth[0]:
            status, body = self._error(20003)
        elif match.re is RECORDING_PATH:
            status, body = self._recording(method, path, match)
        else:
            status, body = self._queues(method, path, match, params)
        return self._log(method, path, params, account, status, body)

    def _queues(self, method: str, path: str, match, params) -> tuple[int, dict[str, Any]]:
        account = match["account"]
        with self.lock:
            sim_queue = self.queues.get(match["queue"] or "")
            if match["queue"] and (sim_queue is None or sim_queue.account_sid != account):
                return self._error(20404, path=path)
            if sim_queue is None:
                mine = [self._queue_json(q) for q in self.queues.values() if q.account_sid == account]
                return 200, self._page("queues", mine, path)
            if not match["members"]:
                return 200, self._queue_json(sim_queue)
            if not match["member"]:
                members = [self._member_json(sim_queue, sid) for sid in sim_queue.members]
                return 200, self._page("queue_members", members, path)
            sid = match["member"]
            if sid == "Front":
                sid = next(iter(sim_queue.members), "")
            if sid not in sim_queue.members:
                return self._error(20404, path=path)
            member = self._member_json(sim_queue, sid)
            if method == "POST" and self.member_failures:
                status = self.member_failures.pop(0)
                return self._error({429: 20429, 500: 20500, 503: 20503}.get(status, 20500))
            if method == "POST":
                if not params.get("Url"):
                    return self._error(21205)
                call = sim_queue.members[sid]["call"]
                call.dequeue_to = (params["Url"], params.get("Method", "POST"))
                call._notify()
            return 200, member

    def _recording(self, method: str, path: str, match) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if self.recordings.get(match["sid"]) != match["account"] or method != "DELETE":
                return self._error(20404, path=path)
            del self.recordings[match["sid"]]
        return 204, {}

    def _queue_json(self, q: SimQueue) -> dict[str, Any]:
        waits = [int((datetime.now(timezone.utc) - m["enqueued"]).total_seconds()) for m in q.members.values()]
        return {"date_updated": rfc2822(q.created), "current_size": len(q.members), "friendly_name": q.name,
                "uri": f"{API}/Accounts/{q.account_sid}/Queues/{q.sid}.json", "account_sid": q.account_sid,
                "average_wait_time": sum(waits) // len(waits) if waits else 0, "sid": q.sid,
                "date_created": rfc2822(q.created), "max_size": 100}

    @staticmethod
    def _member_json(q: SimQueue, sid: str) -> dict[str, Any]:
        entry = q.members[sid]
        return {"call_sid": sid, "date_enqueued": rfc2822(entry["enqueued"]), "queue_sid": q.sid,
                "position": list(q.members).index(sid) + 1,
                "uri": f"{API}/Accounts/{q.account_sid}/Queues/{q.sid}/Members/{sid}.json",
                "wait_time": int((datetime.now(timezone.utc) - entry["enqueued"]).total_seconds())}

    @staticmethod
    def _page(key: str, rows: list[dict[str, Any]], path: str) -> dict[str, Any]:
        uri = f"{path}?PageSize=50&Page=0"
        return {key: rows, "end": max(0, len(rows) - 1), "first_page_uri": uri, "next_page_uri": None, "page": 0,
                "page_size": 50, "previous_page_uri": None, "start": 0, "uri": uri}
