"""``queue next`` handed an agent a waiting call: put the caller through (Twilio's Queue Members API).

``POST /Queues/{QueueSid}/Members/{CallSid}`` with a ``Url``: Twilio takes the caller out of
its queue and runs that URL's TwiML, which rings the agent. The HTTP call runs with no
database transaction open, with a timeout; when it fails the item goes back to the queue.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccctl.context import TenantContext
from ccctl.db.models import Agent, WorkItem
from ccctl.errors import CcctlError
from ccctl_voice.config import VoiceConfig, voice_config
from ccctl_voice.models import VoiceCall

HTTP_TIMEOUT = 10  # seconds; the agent is waiting at the terminal


def twilio_client(cfg: VoiceConfig, tenant_slug: str):
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    from ccctl.config.secrets import resolve_secret

    if not cfg.account_sid:
        raise CcctlError(f"tenant {tenant_slug}: set plugins.voice.account_sid to put calls through")
    client = Client(cfg.account_sid, resolve_secret(cfg.auth_token, "plugins.voice.auth_token"),
                    http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT))
    if cfg.api_url:
        client.api.base_url = cfg.api_url.rstrip("/")
    return client


def _write(session: Session) -> None:
    """Begin a transaction holding SQLite's write lock from its first statement."""
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def connect_claimed_call(ctx: TenantContext, item: WorkItem, agent_name: str) -> dict | None:
    session, slug = ctx.session, ctx.tenant.slug
    cfg = voice_config(ctx.tenant)
    call = session.scalar(select(VoiceCall).where(VoiceCall.tenant_id == ctx.tenant.id,
                                                  VoiceCall.item_id == item.id))
    if call is None or (item.attributes or {}).get("voicemail"):
        return {"call": {"voicemail": bool(call), "recording_url": call.recording_url if call else None}}
    agent = session.scalar(select(Agent).where(Agent.name == agent_name))
    problem = None
    if call.state != "queued":
        problem = f"the caller is no longer waiting ({call.outcome or call.state})"
    elif agent is None or not agent.phone:
        problem = f"agent {agent_name} has no phone (ccctl agent set {agent_name} --phone NUMBER)"
    elif not cfg.public_url:
        problem = "set plugins.voice.public_url (where Twilio reaches ccctl serve)"
    elif not call.queue_sid:
        problem = "Twilio has not said yet which of its queues holds the caller; try again"
    if problem is None:
        _write(session)
        session.refresh(call)  # the caller may have hung up since it was read
        if call.state == "queued":
            call.state, call.agent = "connecting", agent_name
            session.commit()
            problem = _dequeue(cfg, slug, call)
        else:
            problem = f"the caller is no longer waiting ({call.outcome or call.state})"
        if problem is None:
            return {"call": {"call_sid": call.call_sid, "from": call.from_number, "ringing": agent.phone}}
    _give_back(ctx, call, item.id, agent_name, problem)
    raise CcctlError(f"tenant {slug}: item {item.id} (call {call.call_sid}) was not put through to "
                     f"{agent_name}: {problem}; it is back in the queue")


def _dequeue(cfg: VoiceConfig, slug: str, call: VoiceCall) -> str | None:
    """Ask Twilio to take the caller out of its queue to the connect URL; the problem, if any."""
    from twilio.base.exceptions import TwilioException, TwilioRestException

    from ccctl_voice.twiml import step_url

    url = cfg.public_url.rstrip("/") + step_url(f"/t/{slug}/voice/connect", call=call.id)
    try:
        twilio_client(cfg, slug).queues(call.queue_sid).members(call.call_sid).update(url=url, method="POST")
    except TwilioRestException as exc:
        return f"Twilio refused: {exc.msg} (error {exc.code}, HTTP {exc.status})"
    except (TwilioException, OSError) as exc:
        return f"Twilio could not be reached: {exc}"
    return None


def _give_back(ctx: TenantContext, call: VoiceCall, item_id: int, agent_name: str, why: str) -> None:
    """Undo the claim (the item is open again); a call that ended meanwhile closes its item instead."""
    from ccctl.queue.closing import close
    from ccctl.queue.work import lock_item
    from ccctl_voice.placing import release_call_item

    session = ctx.session
    _write(session)
    session.refresh(call)
    item = lock_item(ctx, item_id)
    if call.state == "ended" and item.state != "closed":
        close(ctx, item, outcome=call.outcome or "abandoned", note=why)
    elif item.state == "claimed" and item.claimed_by == agent_name:
        release_call_item(ctx, item, why)
    if call.state == "connecting":
        call.state, call.agent = "queued", None
    session.commit()
