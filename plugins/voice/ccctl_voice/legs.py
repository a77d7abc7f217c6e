"""The agent's leg and the end of a call: connecting, the whisper, the dial result, status and recordings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ccctl.context import TenantContext
from ccctl.db.models import Agent, Customer, WorkItem
from ccctl_voice.agent_state import agent_back
from ccctl_voice.calls import Refused, int_param, load_call, log_step, script
from ccctl_voice.casenumber import format_case
from ccctl_voice.config import VoiceConfig
from ccctl_voice.twiml import Script
from ccctl_voice.models import VoiceCall
from ccctl_voice.placing import enqueue, queue_priority, release_call_item, start_ringing

ANSWERED = ("completed", "answered")


def connect(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """The Queue Members API's ``Url``: the caller, taken out of the queue, now rings the claiming agent."""
    call = load_call(ctx, params, query.get("call"))
    if call.call_sid != params.get("CallSid"):
        raise Refused(400, "this URL belongs to another call")
    s = script(ctx, cfg, call)
    agent = ctx.session.scalar(select(Agent).where(Agent.name == call.agent)) if call.agent else None
    if agent is None or not agent.phone:
        _requeue(ctx, cfg, call, s, now, "no agent phone to ring")
        return s
    start_ringing(ctx, cfg, call, agent, s, now, cfg.owner_ring_seconds)
    return s


def whisper(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """Played to the agent before the caller is put through: who calls, about which case."""
    call = load_call(ctx, params, query.get("call"))
    s = script(ctx, cfg, call)
    customer = ctx.session.get(Customer, call.customer_id) if call.customer_id else None
    name = customer.name if customer and customer.name else " ".join(call.from_number or "?")
    s.speak("whisper", name=name)
    if call.case_item_id:
        s.speak("whisper_case", digits=" ".join(format_case(call.case_item_id, cfg.case_number)))
    return s


def dial_result(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """``<Dial action>``: the agent talked with the caller, or did not pick up (back to the queue)."""
    call = load_call(ctx, params, query.get("call"))
    s = script(ctx, cfg, call)
    status = params.get("DialCallStatus") or ""
    if call.state != "dialing":
        return s.hangup()  # a retry of a result already taken
    if status in ANSWERED:
        talk = int_param(params, "DialCallDuration") or 0
        call.outcome, call.state, call.talk_seconds = "answered", "ended", talk
        call.answered_at = now - timedelta(seconds=talk)
        if call.queued_at is not None:
            call.wait_seconds = max(0, int((call.answered_at - call.queued_at).total_seconds()))
        else:
            call.wait_seconds = 0
        log_step(ctx, call, "answered", f"talked with {call.agent} for {talk} s", now, talk_seconds=talk)
        agent_back(ctx, call, "available")
        return s.hangup()
    log_step(ctx, call, "missed", f"{call.agent} did not answer ({status or 'no status'})", now)
    # A phone that is not picked up is not a free agent: pause them rather than ring it again.
    agent_back(ctx, call, "paused", f"missed a call ({status or 'no answer'})")
    _requeue(ctx, cfg, call, s, now, f"{call.agent} did not answer")
    return s


def _requeue(ctx: TenantContext, cfg: VoiceConfig, call: VoiceCall, s, now: datetime, why: str) -> None:
    item = ctx.session.get(WorkItem, call.item_id)
    release_call_item(ctx, item, why)
    owner = call.attributes.get("owner")
    if owner:  # still the owner's case: keep it for them a while, ahead of the others
        enqueue(ctx, cfg, call, s, now, priority=queue_priority(ctx, item.queue) + cfg.owner_priority_boost,
                sticky_to=owner)
    else:
        enqueue(ctx, cfg, call, s, now)


def status(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """The number's call status callback: the call ended (whatever happened before)."""
    from ccctl_voice.journey import abandon

    call = load_call(ctx, params)
    final = params.get("CallStatus") or ""
    if final not in ("completed", "busy", "failed", "no-answer", "canceled"):
        return script(ctx, cfg, call)
    call.duration_seconds = int_param(params, "CallDuration")
    if call.state == "ivr":
        call.outcome, call.state = call.outcome or "hung-up", "ended"
    elif call.state in ("queued", "connecting", "dialing"):
        if call.state == "dialing" and call.item_id:
            release_call_item(ctx, ctx.session.get(WorkItem, call.item_id), "the caller hung up while it rang")
        abandon(ctx, call, None, now)
    call.ended_at = call.ended_at or now
    call.state = "ended"
    log_step(ctx, call, "ended", f"call ended ({final}, {call.duration_seconds or 0} s)", now,
             duration_seconds=call.duration_seconds)
    return script(ctx, cfg, call)


def recorded(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """``<Record action>``: a voicemail was left; it becomes a work item to call the person back."""
    from ccctl.queue.items import create_item

    call = load_call(ctx, params)
    s = script(ctx, cfg, call)
    if not params.get("RecordingUrl"):
        return s.speak("goodbye").hangup()  # nothing said
    _keep_recording(call, params)
    call.outcome, call.state = "voicemail", "ended"
    item, _ = create_item(ctx, "voice", subject=f"Voicemail from {call.from_number or 'a hidden number'}",
                          customer_id=call.customer_id, queue=cfg.default_queue, external_ref=f"{call.call_sid}:vm",
                          attributes={"call_sid": call.call_sid, "voicemail": True, "from": call.from_number,
                                      "recording_url": call.recording_url})
    call.item_id = item.id
    log_step(ctx, call, "voicemail", f"left a voicemail ({call.recording_seconds or 0} s)", now,
             recording_sid=call.recording_sid)
    return s.speak("thanks").hangup()


def recording(ctx: TenantContext, cfg: VoiceConfig, params, query, now: datetime) -> Script:
    """``recordingStatusCallback``: a recording (voicemail or conversation) is ready."""
    call = load_call(ctx, params)
    if (params.get("RecordingStatus") or "completed") == "completed":
        _keep_recording(call, params)
        log_step(ctx, call, "recording", f"recording ready ({call.recording_seconds or 0} s)", now,
                 recording_sid=call.recording_sid)
    return script(ctx, cfg, call)


def _keep_recording(call: VoiceCall, params) -> None:
    call.recording_sid = (params.get("RecordingSid") or call.recording_sid or "")[:64] or None
    call.recording_url = (params.get("RecordingUrl") or call.recording_url or "")[:500] or None
    call.recording_seconds = int_param(params, "RecordingDuration") or call.recording_seconds
