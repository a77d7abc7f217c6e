"""Placing a call-back through Twilio: ring the agent, then bridge the customer with ``<Dial>``.

The customer leg reports its progress to the status webhook (``/t/<tenant>/callback/twilio/status``);
its final status becomes the attempt's outcome.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from ccctl.context import TenantContext
from ccctl.db.models import utcnow
from ccctl.errors import CcctlError, InputError
from ccctl_callback.config import CallbackConfig, callback_config
from ccctl_callback.models import CallbackAttempt, CallbackRequest
from ccctl_callback.outcomes import record_outcome, start_attempt

STATUS_PATH = "/callback/twilio/status/{attempt_id}"
EVENTS = ["initiated", "ringing", "answered", "completed"]
# Final status of the customer leg → outcome.  "canceled" (the agent hung up while it rang)
# has none: the operator records one with --manual.
CUSTOMER_OUTCOMES = {"completed": "reached", "no-answer": "no-answer", "busy": "no-answer",
                     "failed": "wrong-number"}


def twilio_client(cfg: CallbackConfig):
    from twilio.rest import Client

    from ccctl.config.secrets import is_reference, resolve_secret

    sid = cfg.twilio.account_sid  # not a secret: a plain value or a reference
    if is_reference(sid):
        sid = resolve_secret(sid, "plugins.callback.twilio.account_sid")
    client = Client(sid, resolve_secret(cfg.twilio.auth_token, "plugins.callback.twilio.auth_token"))
    if cfg.twilio.api_url:
        client.api.base_url = cfg.twilio.api_url.rstrip("/")
    return client


def status_url(ctx: TenantContext, cfg: CallbackConfig, attempt: CallbackAttempt, leg: str) -> str:
    if not cfg.public_url:
        raise CcctlError(f"tenant {ctx.tenant.slug}: set plugins.callback.public_url (where Twilio reaches "
                         "ccctl serve) to dial through Twilio, or record the call with --manual")
    path = STATUS_PATH.format(attempt_id=attempt.id)
    return f"{cfg.public_url.rstrip('/')}/t/{ctx.tenant.slug}{path}?{urlencode({'leg': leg})}"


def bridge_twiml(request: CallbackRequest, caller_id: str, customer_status_url: str) -> str:
    """What the agent hears on answering, then the customer dialled into the same call."""
    from twilio.twiml.voice_response import VoiceResponse

    response = VoiceResponse()
    whisper = f"Rappel de {request.name or 'un client'}."
    if request.reason:
        whisper += f" Motif : {request.reason[:200]}"
    response.say(whisper, language="fr-FR")
    dial = response.dial(caller_id=caller_id, timeout=30)
    dial.number(request.phone, status_callback=customer_status_url, status_callback_method="POST",
                status_callback_event=" ".join(EVENTS))
    return str(response)


def agent_phone(cfg: CallbackConfig, tenant_slug: str, agent: str, given: str | None, region: str) -> str:
    from ccctl.contacts import normalize_phone

    number = given or cfg.agent_phones.get(agent)
    if not number:
        raise InputError(f"no phone for agent '{agent}': pass --agent-phone or add it under "
                         f"plugins.callback.agent_phones in tenant {tenant_slug}'s YAML")
    return normalize_phone(number, region)


def dial(ctx: TenantContext, request: CallbackRequest, agent: str, given_phone: str | None = None,
         now: datetime | None = None) -> CallbackAttempt:
    """Ring ``agent``; when they answer, Twilio bridges the customer. Returns the new attempt."""
    from twilio.base.exceptions import TwilioRestException

    cfg = callback_config(ctx.tenant)
    to_agent = agent_phone(cfg, ctx.tenant.slug, agent, given_phone, ctx.tenant.default_region)
    if not cfg.twilio.caller_id:
        raise CcctlError(f"tenant {ctx.tenant.slug}: set plugins.callback.twilio.caller_id (the number calls come from)")
    attempt = start_attempt(ctx, request, agent, "twilio", now)
    twiml = bridge_twiml(request, cfg.twilio.caller_id, status_url(ctx, cfg, attempt, "customer"))
    try:
        call = twilio_client(cfg).calls.create(
            to=to_agent, from_=cfg.twilio.caller_id, twiml=twiml,
            status_callback=status_url(ctx, cfg, attempt, "agent"), status_callback_event=EVENTS,
        )
    except TwilioRestException as exc:
        raise CcctlError(f"Twilio refused the call to agent {agent} ({to_agent}): "
                         f"{exc.msg} (error {exc.code}, HTTP {exc.status})") from None
    attempt.call_sid, attempt.status = call.sid, call.status
    ctx.session.flush()
    return attempt


def apply_status(ctx: TenantContext, attempt: CallbackAttempt, leg: str, params) -> str | None:
    """Take one Twilio status callback; returns the outcome it settled, if any."""
    status = (params.get("CallStatus") or "").strip()
    if leg == "agent":
        if status in ("busy", "no-answer", "failed") and attempt.outcome is None:
            attempt.status, attempt.note = f"agent-{status}", f"agent {attempt.agent} did not take the call"
        return None
    attempt.status = status or attempt.status
    if status == "completed" and attempt.duration_seconds is None:
        from ccctl_callback.billing import parse_call_duration

        attempt.duration_seconds = parse_call_duration(params.get("CallDuration"))
        if attempt.duration_seconds is None:  # still record the outcome: the call did happen
            attempt.note = f"Twilio sent no readable CallDuration ({params.get('CallDuration')!r}): not billed"
    outcome = CUSTOMER_OUTCOMES.get(status)
    if outcome is None or attempt.outcome is not None:
        return None
    request = ctx.session.get(CallbackRequest, attempt.request_id)
    record_outcome(ctx, request, attempt, outcome, now=utcnow())
    return outcome
