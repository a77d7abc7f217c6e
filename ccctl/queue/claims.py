"""``queue next``: atomically claim the best item an agent may take.

A claim raises the agent's ``holding`` counter (only while it is under capacity and the
agent is available), marks the best open item claimed and writes the history event, all or
nothing:

- PostgreSQL: one statement (data-modifying CTEs) run on its own, in autocommit: one round
  trip, no BEGIN/COMMIT. The item is picked ``FOR UPDATE SKIP LOCKED``, so concurrent
  claimers each take a different item without waiting; the counter's row update re-reads
  the agent under lock, so capacity stays exact when one agent claims twice at once.
- SQLite: the same steps as three statements in a ``BEGIN IMMEDIATE`` transaction, which
  holds the database's write lock from the start, so claimers queue up one after another.

When nothing is claimed, :func:`claim_next` finds out why (unavailable, at capacity, nothing
to take), recounting the agent's items first should the counter have drifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, String, bindparam, exists, literal_column, or_, select, text, update

from ccctl.db.driver import DriverStatement
from ccctl.db.models import OPEN_STATE, Agent, AgentTenant, Tenant, WorkItem, enabled_plugins_of, utcnow
from ccctl.errors import CcctlError
from ccctl.plugins import reaches_tenant
from ccctl.queue.agents import get_agent
from ccctl.queue.history import insert_step, step_insert
from ccctl.queue.holding import recount
from ccctl.queue.skills import allowed_skill_sets
from ccctl.queue.txn import autocommit, step_connection, write_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_SERVED = select(AgentTenant.tenant_id).where(AgentTenant.agent_id == bindparam("agent_id"))
_CONFIGS = select(Tenant.config).where(Tenant.id.in_(bindparam("tenant_ids", expanding=True)))
_NOW = bindparam("now", type_=WorkItem.claimed_at.type)
_RETURNED = (WorkItem.id, WorkItem.tenant_id, WorkItem.customer_id, WorkItem.queue, WorkItem.channel)


def _pick(in_queues: bool, arrays: bool = False):
    """The best open item for the claimer's tenants, skill sets (and queues), in claim order.

    ``arrays``: the lists are bound as PostgreSQL arrays (``= ANY``), one statement text
    whatever their lengths; otherwise as expanding ``IN`` lists.
    """
    def among(column, name: str):
        if arrays:
            from sqlalchemy import Integer, func
            from sqlalchemy.dialects.postgresql import ARRAY

            kind = String if name == "queues" else Integer
            return column == func.any(bindparam(name, type_=ARRAY(kind)))
        return column.in_(bindparam(name, expanding=True))

    pick = (
        select(WorkItem.id)
        # `tenant_id + 0`: not indexable, so the planner walks ix_work_items_claim_order (already in
        # claim order) rather than trade it for a tenant index plus a sort of that tenant's items.
        .where(text(OPEN_STATE), among(WorkItem.tenant_id + literal_column("0"), "tenants"),
               among(WorkItem.skill_set_id, "sets"),
               or_(WorkItem.not_before.is_(None), WorkItem.not_before <= _NOW),
               # A reserved item (a call sticky to its case owner) goes only to that agent until then.
               or_(WorkItem.reserved_until.is_(None), WorkItem.reserved_until <= _NOW,
                   WorkItem.reserved_for == bindparam("agent_name", type_=String)))
        .order_by(WorkItem.priority.desc(), WorkItem.due_at.asc(), WorkItem.id.asc())
        .limit(literal_column("1"))  # literals, not parameters: a prepared plan still knows them
    )
    return pick.where(among(WorkItem.queue, "queues")) if in_queues else pick


# Raise the counter only while the agent may take one more (re-checked on the locked row).
_TAKE = (update(Agent).where(Agent.id == bindparam("agent_id"), Agent.available.is_(True),
                             Agent.holding < Agent.capacity)
         .values(holding=Agent.holding + 1, updated_at=Agent.updated_at))  # a claim is not an edit of the agent


def _postgresql_claim(in_queues: bool):
    pick = _pick(in_queues, arrays=True).with_for_update(skip_locked=True).cte("pick")
    agent = _TAKE.where(exists(pick.select())).returning(Agent.name).cte("agent")
    return _claim_and_record(pick, exists(agent.select()), agent)


def _claim_and_record(pick, allowed, *ctes):
    """Mark the picked item claimed (when ``allowed``) and write the history event: the final CTEs."""
    claimed, step = _claimed_and_recorded(pick, allowed)
    return select(claimed.c.id, claimed.c.tenant_id).add_cte(*ctes, step)


def _claimed_and_recorded(pick, allowed):
    """(claimed, step): the CTEs marking the picked item claimed (when ``allowed``) and writing its event."""
    claimed = (update(WorkItem).where(WorkItem.id == pick.c.id, allowed)
               .values(state=literal_column("'claimed'"), claimed_by=bindparam("agent_name", type_=String),
                       claimed_at=_NOW, updated_at=_NOW)
               .returning(*_RETURNED).cte("claimed"))
    step = step_insert(claimed, "claimed", summary=bindparam("claim_summary", type_=String),
                       actor=bindparam("agent_name", type_=String), now=_NOW).cte("step")
    return claimed, step


def claim_after_close(closed, in_queues: bool, *ctes):
    """The claim that follows an auto-next close in the same statement: ``closed`` is the close's
    CTE (:func:`ccctl.queue.closing.closing_ctes`), ``ctes`` the rest of the close. Selects one
    row: (the closed item's id, the claimed item's id and tenant id), None where nothing was.

    It takes nothing unless the close happened. If the closed item was held (by this agent:
    the close refuses anyone else), its slot goes to the next item (the counter does not move)
    or, with nothing to take or the agent unavailable, back to the agent (-1); if not, this is
    an ordinary claim (+1, within capacity). One agent row is updated at most once.
    """
    from sqlalchemy import and_, case, not_

    held = exists(closed.select().where(closed.c.claimed_at.is_not(None)))
    # The statement's snapshot still sees the closed item as it was (perhaps open). Its row lock would
    # skip it anyway (updated by this very statement); the condition says so rather than rely on that.
    pick = (_pick(in_queues, arrays=True).where(exists(closed.select()), WorkItem.id != bindparam("item"))
            .with_for_update(skip_locked=True).cte("pick"))
    picked = exists(pick.select())
    available = select(Agent.available).where(Agent.id == bindparam("agent_id")).scalar_subquery()
    swap = and_(held, picked, available.is_(True))
    agent = (update(Agent).where(Agent.id == bindparam("agent_id"), or_(
                 and_(held, not_(swap)),  # the slot goes back
                 and_(not_(held), picked, Agent.available.is_(True), Agent.holding < Agent.capacity)))
             .values(holding=Agent.holding + case((held, -1), else_=1), updated_at=Agent.updated_at)
             .returning(Agent.name).cte("agent"))
    claimed, step = _claimed_and_recorded(pick, or_(swap, and_(not_(held), exists(agent.select()))))
    return select(select(closed.c.id).scalar_subquery(), select(claimed.c.id).scalar_subquery(),
                  select(claimed.c.tenant_id).scalar_subquery()).add_cte(closed, *ctes, agent, step)


_PG_CLAIM = {flag: DriverStatement(_postgresql_claim(flag)) for flag in (False, True)}
_SQLITE_PICKED = {
    flag: (update(WorkItem).where(WorkItem.id == _pick(flag).scalar_subquery())
           .values(state="claimed", claimed_by=bindparam("agent_name"), claimed_at=_NOW, updated_at=_NOW)
           .returning(*_RETURNED))
    for flag in (False, True)
}


@dataclass
class Claim:
    item_id: int | None
    tenant_id: int | None = None
    reason: str = ""  # why nothing was claimed


@dataclass
class Claimer:
    """What a claim needs to know about the agent; read once, before any lock is taken."""

    agent_id: int
    name: str
    tenants: list[int]
    skill_sets: list[int]
    plugins: frozenset[str]  # what the agent's tenants enable (who hears the claim)


_AGENT = select(Agent.id, Agent.name, Agent.available, Agent.skills).where(Agent.name == bindparam("agent_name"))


def claimer(db: Session | Connection, agent_name: str, tenant: Tenant | None = None) -> Claimer:
    """Check the agent may claim (for ``tenant`` when given) and gather its tenants and skill sets."""
    agent = db.execute(_AGENT, {"agent_name": agent_name}).first()
    if agent is None:
        get_agent(db, agent_name)  # raises with the usual advice
    if not agent.available:
        raise _unavailable(agent.name)
    served = list(db.scalars(_SERVED, {"agent_id": agent.id}))
    if tenant is not None:
        if tenant.id not in served:
            raise CcctlError(f"agent {agent.name} does not serve tenant {tenant.slug}")
        served = [tenant.id]
    if not served:
        raise CcctlError(f"agent {agent.name} serves no tenant (ccctl agent set {agent.name} --serves SLUG)")
    plugins = frozenset(name for config in db.scalars(_CONFIGS, {"tenant_ids": served})
                        for name in enabled_plugins_of(config))
    return Claimer(agent.id, agent.name, served, allowed_skill_sets(db, agent.skills), plugins)


def claim_next(bind: Engine | Connection, who: str | Claimer, *, tenant: Tenant | None = None,
               queues: list[str] | None = None, now: datetime | None = None, app=None) -> Claim:
    """Claim for ``who`` (an agent name, or a :func:`claimer` prepared beforehand) and commit.

    ``bind``: the engine, or a connection a long-running client keeps for its claims (on
    PostgreSQL it is switched to autocommit; see :func:`ccctl.queue.txn.step_connection`).
    ``app``: tell the claimed item's tenant's plugins (``ccctl_item_assigned``) inside the claim's
    transaction, so what they write (a webhook outbox row) commits with the claim or not at all.
    """
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return claim_next(conn, who, tenant=tenant, queues=queues, now=now, app=app)
    conn = bind
    if not isinstance(who, Claimer):
        who = claimer(conn, who, tenant)
        conn.commit()  # ends the read: the claim below runs on its own
    params = claim_params(who, queues, now or utcnow())
    announcing = app if assignment_listened(app, who) else None
    for attempt in range(2):
        claimed = _claim(conn, params, bool(queues), announcing)
        if claimed is not None:
            return Claim(*claimed)
        with step_connection(conn):
            retry, reason = _why_not(conn, who, attempt)
        if not retry:
            break
    return Claim(None, reason=reason)


def assignment_listened(app, who: Claimer) -> bool:
    """Whether a plugin that one of ``who``'s tenants enables listens to ``ccctl_item_assigned``: then
    a claim is made in a transaction that the listeners join (on PostgreSQL, rather than one
    statement in autocommit). Agents whose tenants enable no listener keep the one-statement claim."""
    return app is not None and any(reaches_tenant(impl.plugin_name, who.plugins)
                                   for impl in app.pm.hook.ccctl_item_assigned.get_hookimpls())


def announce_in(app, conn: Connection, item_id: int, tenant_id: int, agent_name: str) -> None:
    """Fire ``ccctl_item_assigned`` for a claim just made on ``conn``, in its still open transaction,
    when the item's tenant enables a listener: their writes commit with the claim or not at all."""
    from sqlalchemy.orm import Session

    with Session(bind=conn, expire_on_commit=False) as session:  # joins conn's transaction, leaves it open
        ctx = app.context(session, session.get(Tenant, tenant_id))
        listeners = ctx.hook("ccctl_item_assigned")
        if listeners.get_hookimpls():
            listeners(item=session.get(WorkItem, item_id), agent=agent_name, ctx=ctx)
            session.flush()


def claim_params(who: Claimer, queues: list[str] | None, now: datetime) -> dict:
    params = {"agent_id": who.agent_id, "agent_name": who.name, "tenants": who.tenants,
              "sets": who.skill_sets, "now": now, "claim_summary": f"claimed by {who.name}"}
    if queues:
        params["queues"] = list(queues)
    return params


def _claim(conn: Connection, params: dict, in_queues: bool, app=None) -> tuple[int, int] | None:
    """One claim attempt, committed: (item id, tenant id), or None when nothing was taken. ``app``:
    given when a listener must hear the claim in its transaction (:func:`assignment_listened`)."""
    postgresql = conn.dialect.name == "postgresql"
    if app is None:
        if postgresql:  # one statement, in autocommit
            return _PG_CLAIM[in_queues].first(autocommit(conn), params)
        with step_connection(conn):
            return sqlite_claim(conn, params, in_queues)
    with write_transaction(conn):  # the claim and what its listeners write, all or nothing
        claimed = _PG_CLAIM[in_queues].first(conn, params) if postgresql else sqlite_claim(conn, params, in_queues)
        if claimed is not None:
            announce_in(app, conn, *claimed, params["agent_name"])
        return claimed


_GIVE_BACK = (update(Agent).where(Agent.id == bindparam("agent_id"))
              .values(holding=Agent.holding - 1, updated_at=Agent.updated_at))


def sqlite_claim(conn: Connection, params: dict, in_queues: bool) -> tuple[int, int] | None:
    """The claim's statements in the caller's write transaction (SQLite, ``BEGIN IMMEDIATE``), which
    may hold other steps (an auto-next close): (item id, tenant id), or None, all undone."""
    if conn.execute(_TAKE, params).rowcount != 1:
        return None
    row = conn.execute(_SQLITE_PICKED[in_queues], params).first()
    if row is None:
        conn.execute(_GIVE_BACK, params)  # nothing to take: the slot goes back
        return None
    item_id, tenant_id, customer_id, queue, channel = row
    item = SimpleNamespace(id=item_id, customer_id=customer_id, queue=queue, channel=channel)
    insert_step(conn, tenant_id, item, "claimed", params["claim_summary"], actor=params["agent_name"],
                now=params["now"])
    return item_id, tenant_id


_AGENT_NOW = select(Agent.available, Agent.capacity, Agent.holding).where(Agent.id == bindparam("agent_id"))


def _why_not(conn: Connection, who: Claimer, attempt: int) -> tuple[bool, str]:
    """(worth one more try, reason) after a claim took nothing."""
    available, capacity, holding = conn.execute(_AGENT_NOW, {"agent_id": who.agent_id}).one()
    if not available:
        raise _unavailable(who.name)
    if holding >= capacity:
        if attempt == 0:
            holding = _recount(conn, who.agent_id)
            if holding < capacity:
                return True, ""  # the counter had drifted; it is right again
        return False, f"{who.name} already holds {holding} item(s), the capacity"
    return False, f"nothing open that {who.name} may take now"


def _recount(conn: Connection, agent_id: int) -> int:
    if conn.dialect.name == "sqlite":
        return recount(conn, agent_id)  # this transaction holds the write lock already
    with conn.engine.begin() as fresh:  # `conn` is in autocommit: the lock must outlive one statement
        return recount(fresh, agent_id)


def _unavailable(name: str) -> CcctlError:
    return CcctlError(f"agent {name} is not available (ccctl agent set {name} --available)")
