"""The TwiML documents the caller's journey is made of (twilio's ``VoiceResponse``).

URLs are absolute paths under ``/t/<tenant>/voice/``: Twilio resolves them against the
URL it just called, so the same document works behind any public host name. Each carries a
fresh nonce (``n=``): Twilio's requests hold no unique id, and a caller going round the menu
twice would otherwise send the very same signed request twice, which the replay check refuses.
"""

from __future__ import annotations

from urllib.parse import urlencode

from ccctl_voice.config import SAY_LANGUAGES, VoiceConfig


def step_url(path: str, **query) -> str:
    import secrets

    return f"{path}?{urlencode({**query, 'n': secrets.token_urlsafe(6)})}"


class Script:
    """One TwiML answer in the tenant's language."""

    def __init__(self, slug: str, cfg: VoiceConfig, language: str) -> None:
        from twilio.twiml.voice_response import VoiceResponse

        self.slug, self.cfg, self.language = slug, cfg, language
        self.response = VoiceResponse()

    def url(self, step: str, **query) -> str:
        return step_url(f"/t/{self.slug}/voice/{step}", **query)

    def speak(self, key: str, into=None, **values) -> Script:
        """Say text ``key`` (or play it, when the tenant gave an audio URL)."""
        text = self.cfg.text(self.language, key, **values)
        target = into if into is not None else self.response
        if text.startswith(("http://", "https://")):
            target.play(text)
        else:
            target.say(text, language=SAY_LANGUAGES.get(self.language, "en-GB"))
        return self

    def gather(self, step: str, digits: int, timeout: int = 5, **query):
        return self.response.gather(input="dtmf", num_digits=digits, action=self.url(step, **query),
                                    method="POST", timeout=timeout, finish_on_key="#")

    def redirect(self, step: str, **query) -> Script:
        self.response.redirect(self.url(step, **query), method="POST")
        return self

    def enqueue(self, queue_name: str) -> Script:
        self.response.enqueue(queue_name, wait_url=self.url("wait"), wait_url_method="POST",
                              action=self.url("queue-exit"), method="POST")
        return self

    def dial(self, number: str, call_id: int, caller_id: str | None, ring_seconds: int) -> Script:
        options = {}
        if self.cfg.recording.enabled:
            options = {"record": "record-from-answer", "recording_status_callback": self.url("recording"),
                       "recording_status_callback_method": "POST"}
        dial = self.response.dial(action=self.url("dial-result", call=call_id), method="POST",
                                  timeout=ring_seconds, caller_id=caller_id, **options)
        dial.number(number, url=self.url("whisper", call=call_id), method="POST")
        return self

    def record_voicemail(self) -> Script:
        self.speak("voicemail")
        self.response.record(action=self.url("recorded"), method="POST", max_length=self.cfg.voicemail_seconds,
                             play_beep=True, recording_status_callback=self.url("recording"),
                             recording_status_callback_method="POST")
        return self.speak("goodbye").hangup()

    def hangup(self) -> Script:
        self.response.hangup()
        return self

    def leave(self) -> Script:
        self.response.leave()
        return self

    def __str__(self) -> str:
        return str(self.response)
