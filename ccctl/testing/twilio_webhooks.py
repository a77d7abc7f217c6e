"""The Twilio test server's outgoing side: moving messages and calls to a new status and posting
Twilio's signed webhooks (status callbacks, inbound SMS, TwiML fetches, JSON webhooks, child call
legs). A mixin of :class:`ccctl.testing.twilio_server.TwilioTestServer`, which holds the state it uses
(``lock``, ``messages``, ``message_params``, ``calls``, ``call_params``, ``callbacks``).
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any


def rfc2822(moment: datetime | None) -> str | None:
    return None if moment is None else format_datetime(moment.astimezone(timezone.utc))


class WebhookSender:
    def set_message_status(self, sid: str, status: str, error_code: int | None = None,
                           callback: bool = True) -> tuple[int, str] | None:
        """Move a message to ``status``; post its StatusCallback (signed) when it has one."""
        with self.lock:
            message = self.messages[sid]
            message["status"] = status
            message["error_code"] = error_code
            message["error_message"] = self.errors.get(error_code, (0, None))[1] if error_code else None
            now = datetime.now(timezone.utc)
            message["date_updated"] = rfc2822(now)
            if status in ("sent", "delivered", "undelivered") and message["date_sent"] is None:
                message["date_sent"] = rfc2822(now)
            url = self.message_params[sid].get("StatusCallback")
        if not (callback and url):
            return None
        params = {"AccountSid": message["account_sid"], "ApiVersion": "2010-04-01", "From": message["from"] or "",
                  "To": message["to"], "MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                  "SmsStatus": status}
        if message.get("messaging_service_sid"):
            params["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code:
            params["ErrorCode"] = str(error_code)
        return self.post_webhook(url, params)

    def set_call_status(self, sid: str, status: str, duration: int | None = None,
                        answered_by: str | None = None, callback: bool = True) -> tuple[int, str] | None:
        """Move a call to ``status``; post its StatusCallback (signed) when it has one."""
        with self.lock:
            call = self.calls[sid]
            now = datetime.now(timezone.utc)
            call["status"] = status
            call["date_updated"] = rfc2822(now)
            if status == "in-progress" and call["start_time"] is None:
                call["start_time"] = rfc2822(now)
            if status in ("completed", "busy", "no-answer", "failed", "canceled"):
                call["end_time"] = rfc2822(now)
                call["duration"] = str(duration or 0)
            if answered_by:
                call["answered_by"] = answered_by
            url = self.call_params[sid].get("StatusCallback")
        if not (callback and url):
            return None
        params = self._call_webhook_params(call)
        params["CallStatus"] = status
        if duration is not None:
            params["CallDuration"] = str(duration)
        return self.post_webhook(url, params)

    def answer_call(self, sid: str, digits: str | None = None, answered_by: str = "human") -> tuple[int, str]:
        """The callee picked up: mark the call in-progress and fetch its TwiML from ``Url`` (signed POST)."""
        with self.lock:
            call, params = self.calls[sid], self.call_params[sid]
            call["status"] = "in-progress"
            call["answered_by"] = answered_by
            call["start_time"] = call["start_time"] or rfc2822(datetime.now(timezone.utc))
            url = params.get("Url")
        if not url:
            return 200, params.get("Twiml", "")
        form = self._call_webhook_params(call)
        form.update({"CallStatus": "in-progress", "AnsweredBy": answered_by})
        if digits is not None:
            form["Digits"] = digits
        return self.post_webhook(url, form)

    def inbound_sms(self, url: str, from_: str, to: str, body: str, sid: str | None = None) -> tuple[int, str]:
        """Post an incoming SMS to a messaging webhook, as Twilio does (signed)."""
        sid = sid or "SM" + secrets.token_hex(16)
        params = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "Body": body, "From": from_,
                  "To": to, "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "SmsStatus": "received",
                  "NumMedia": "0", "NumSegments": "1"}
        return self.post_webhook(url, params)

    def post_webhook(self, url: str, params: dict[str, str], auth_token: str | None = None,
                     signature: str | None = None, headers: dict[str, str] | None = None,
                     signed_url: str | None = None) -> tuple[int, str]:
        """POST ``params`` form-encoded to ``url`` with a valid ``X-Twilio-Signature`` (unless given),
        computed over ``signed_url`` (default ``url``: what a proxy in front would have been called at)."""
        from twilio.request_validator import RequestValidator

        if signature is None:
            signature = RequestValidator(auth_token or self.auth_token).compute_signature(signed_url or url, params)
        data = urllib.parse.urlencode(params).encode()
        return self._post(url, data, "application/x-www-form-urlencoded", signature, params, headers)

    def post_json_webhook(self, url: str, data: Any, auth_token: str | None = None) -> tuple[int, str]:
        """POST a JSON body as Twilio does for JSON webhooks: ``?bodySHA256=`` added to the URL, the
        signature computed over that URL alone."""
        import hashlib

        from twilio.request_validator import RequestValidator

        body = json.dumps(data).encode()
        url += ("&" if "?" in url else "?") + "bodySHA256=" + hashlib.sha256(body).hexdigest()
        signature = RequestValidator(auth_token or self.auth_token).compute_signature(url, {})
        return self._post(url, body, "application/json", signature, data, None)

    def _post(self, url, data, content_type, signature, logged, headers) -> tuple[int, str]:
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "X-Twilio-Signature": signature, "Content-Type": content_type, "User-Agent": "TwilioProxy/1.1",
            **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = (response.status, response.read().decode())
        except urllib.error.HTTPError as exc:
            answer = (exc.code, exc.read().decode())
        except (urllib.error.URLError, OSError) as exc:  # nobody listening: Twilio logs it and moves on
            answer = (0, str(exc))
        with self.lock:
            self.callbacks.append({"url": url, "params": logged, "status": answer[0], "body": answer[1]})
        return answer

    def _call_webhook_params(self, call: dict[str, Any]) -> dict[str, str]:
        params = {"AccountSid": call["account_sid"], "ApiVersion": "2010-04-01", "CallSid": call["sid"],
                  "From": call["from"], "To": call["to"], "Direction": call["direction"], "CallStatus": call["status"]}
        if call.get("parent_call_sid"):
            params["ParentCallSid"] = call["parent_call_sid"]
        return params

    def bridge(self, parent_sid: str) -> str:
        """The agent answered: run the parent call's ``<Dial><Number>`` as a child leg (direction
        ``outbound-dial``, ``parent_call_sid`` set) whose status callbacks carry ``ParentCallSid``."""
        import xml.etree.ElementTree as ET

        with self.lock:
            parent, params = self.calls[parent_sid], self.call_params[parent_sid]
        number = ET.fromstring(params["Twiml"]).find("Dial/Number")
        sid = self._store_call(number.text.strip(), parent["to"], {"StatusCallback": number.get("statusCallback")},
                               parent_sid=parent_sid)
        return sid
