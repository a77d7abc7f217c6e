"""Placing a call-back through Twilio: ring the agent, then bridge the customer with ``<Dial>``.

The customer leg reports its progress to the status webhook (``/t/<tenant>/callback/twilio/status``);
its final status becomes the attempt's outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """A Twilio client with a request timeout (secrets resolved here: a missing one fails before any attempt)."""
    from ccctl.config.secrets import is_reference, resolve_secret
    from ccctl.twilio_api import make_client

    sid = cfg.twilio.account_sid  # not a secret: a plain value or a reference
    if is_reference(sid):
        sid = resolve_secret(sid, "plugins.callback.twilio.account_sid")
    return make_client(sid, resolve_secret(cfg.twilio.auth_token, "plugins.callback.twilio.auth_token"),
                       cfg.twilio.api_url)


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


@dataclass
class PlannedCall:
    """A call-back attempt committed to the database, ready to be placed (no transaction open)."""

    attempt_id: int
    agent: str
    to_agent: str
    caller_id: str
    twiml: str
    agent_status_url: str
    client: object


def plan_call(ctx: TenantContext, request: CallbackRequest, agent: str, given_phone: str | None = None,
              now: datetime | None = None) -> PlannedCall:
    """Check everything and count the attempt; the caller commits before :func:`place_call`.

    The attempt row exists before Twilio is asked, so a call whose answer is lost still has its
    own attempt (and id): a later dial never reuses that id, and the lost call's callbacks
    settle this attempt only."""
    cfg = callback_config(ctx.tenant)
    to_agent = agent_phone(cfg, ctx.tenant.slug, agent, given_phone, ctx.tenant.default_region)
    if not cfg.twilio.caller_id:
        raise CcctlError(f"tenant {ctx.tenant.slug}: set plugins.callback.twilio.caller_id (the number calls come from)")
    client = twilio_client(cfg)
    attempt = start_attempt(ctx, request, agent, "twilio", now)
    attempt.status = "dialing"
    twiml = bridge_twiml(request, cfg.twilio.caller_id, status_url(ctx, cfg, attempt, "customer"))
    return PlannedCall(attempt.id, agent, to_agent, cfg.twilio.caller_id, twiml,
                       status_url(ctx, cfg, attempt, "agent"), client)


@dataclass
class CallAnswer:
    kind: str                 # placed | refused (surely not placed) | unknown (may have been placed)
    sid: str | None = None
    status: str | None = None
    reason: str = ""


def place_call(planned: PlannedCall) -> CallAnswer:
    """Ask Twilio to ring the agent. Network only: call it with no database transaction open."""
    from ccctl.twilio_api import http_error, never_reached

    try:
        call = planned.client.calls.create(
            to=planned.to_agent, from_=planned.caller_id, twiml=planned.twiml,
            status_callback=planned.agent_status_url, status_callback_event=EVENTS)
    except Exception as exc:  # noqa: BLE001 - every failure is classified and reported, never a traceback
        status, code, reason = http_error(exc)
        if (status is not None and 400 <= status < 500) or (status is None and never_reached(exc)):
            where = f" (error {code}, HTTP {status})" if status else ""
            return CallAnswer("refused", reason=f"Twilio refused the call to agent {planned.agent} "
                                               f"({planned.to_agent}): {reason}{where}")
        return CallAnswer("unknown", reason=reason)
    return CallAnswer("placed", call.sid, call.status)


def record_call(ctx: TenantContext, planned: PlannedCall, answer: CallAnswer) -> CallbackAttempt | None:
    """Write what Twilio answered; a refused call's attempt is removed (it never rang)."""
    attempt = ctx.session.get(CallbackAttempt, planned.attempt_id)
    if answer.kind == "placed":
        attempt.call_sid, attempt.status = answer.sid, answer.status
    elif answer.kind == "refused":
        request = ctx.session.get(CallbackRequest, attempt.request_id)
        if request.attempts == attempt.number:
            request.attempts -= 1
        ctx.session.delete(attempt)
        ctx.session.flush()
        return None
    else:
        attempt.status = "unknown"
        attempt.note = (f"Twilio's answer was lost ({answer.reason[:300]}): the call may have been placed; "
                        "its status callbacks will settle this attempt")
    ctx.session.flush()
    return attempt


def attempt_for_callback(ctx: TenantContext, attempt: CallbackAttempt, leg: str, params) -> CallbackAttempt | None:
    """The attempt a status callback belongs to, by call id: the agent leg's ``CallSid``, or the
    customer leg's ``ParentCallSid`` (its parent is the agent call). The URL's attempt id is only
    a hint: a callback for another call settles that call's attempt, or nothing."""
    from sqlalchemy import select

    sid = (params.get("ParentCallSid") if leg == "customer" else params.get("CallSid")) or ""
    if not sid or attempt.call_sid == sid:
        return attempt
    owner = ctx.session.scalar(select(CallbackAttempt).where(
        CallbackAttempt.tenant_id == ctx.tenant.id, CallbackAttempt.call_sid == sid))
    if owner is not None:
        return owner
    if attempt.call_sid is None and attempt.mode == "twilio":  # the create's answer was lost: now we know
        attempt.call_sid = sid
        return attempt
    return None


def apply_status(ctx: TenantContext, attempt: CallbackAttempt, leg: str, params) -> str | None:
    """Take one Twilio status callback; returns the outcome it settled, if any."""
    attempt = attempt_for_callback(ctx, attempt, leg, params)
    if attempt is None:
        return None
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
