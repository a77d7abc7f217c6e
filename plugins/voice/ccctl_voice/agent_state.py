"""The agent a call rang: back from "on-call" when the call leaves them (journey and legs both need it)."""

from __future__ import annotations

from sqlalchemy import select

from ccctl.context import TenantContext
from ccctl.db.models import Agent, AgentStateChange
from ccctl_voice.models import VoiceCall


def agent_back(ctx: TenantContext, call: VoiceCall, state: str, reason: str = "") -> None:
    """The agent rung for ``call`` leaves "on-call", unless something else changed their state since."""
    from ccctl.queue.agents import set_state

    if not call.agent:
        return
    agent = ctx.session.scalar(select(Agent).where(Agent.name == call.agent).with_for_update())
    if agent is None or agent.state != "on-call":
        return
    last = ctx.session.scalar(select(AgentStateChange.source).where(AgentStateChange.agent_id == agent.id)
                              .order_by(AgentStateChange.at.desc(), AgentStateChange.id.desc()).limit(1))
    if last == f"voice:{call.call_sid}":
        set_state(ctx.session, agent, state, reason, source=f"voice:{call.call_sid}")
