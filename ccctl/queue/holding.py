"""``agents.holding``: how many items an agent holds now, kept in step by every claim step.

The counter lets a claim check capacity inside its one statement, exactly: the row update
that raises it re-reads the agent row under lock. Releases, transfers and closes lower it
in the same transaction as the item's change. Should it ever drift (an item deleted while
claimed), a claim that finds the agent full recounts from the items before saying so.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, case, func, select, text, update
from sqlalchemy.orm import Session

from ccctl.db.models import CLAIMED_STATE, Agent, WorkItem

_ADD = (update(Agent).where(Agent.name == bindparam("agent_name"))
        .values(holding=case((Agent.holding + bindparam("delta") < 0, 0), else_=Agent.holding + bindparam("delta")),
                updated_at=Agent.updated_at))  # holding an item is not an edit of the agent
_LOCK = select(Agent.id).where(Agent.id == bindparam("agent_id")).with_for_update()
_COUNTED = (update(Agent).where(Agent.id == bindparam("agent_id"))
            .values(holding=select(func.count()).select_from(WorkItem)
                    .where(WorkItem.claimed_by == Agent.name, text(CLAIMED_STATE)).scalar_subquery(),
                    updated_at=Agent.updated_at)
            .returning(Agent.holding))


def hold(db: Session | Connection, agent: str | None, delta: int) -> None:
    """Add ``delta`` (+1 on taking an item, -1 on letting it go) to ``agent``'s counter."""
    if agent:
        db.execute(_ADD, {"agent_name": agent, "delta": delta})


def recount(conn: Connection, agent_id: int) -> int:
    """Set the counter from the items themselves, in the caller's transaction; returns it.

    The agent row is locked first, so the count (a later statement, a fresh snapshot on
    PostgreSQL) sees every claim committed before it.
    """
    conn.execute(_LOCK, {"agent_id": agent_id})
    return conn.execute(_COUNTED, {"agent_id": agent_id}).scalar_one()
