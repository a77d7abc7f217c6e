"""Agents and `queue next`: who may take what, in which order, atomically, from many processes."""

import multiprocessing
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ccctl.db.models import Interaction, WorkItem, utcnow
from ccctl.queue.drill import claim_and_close


def add_agent(ccctl, name, skills="booking,claims,senior", serves="travel", capacity=1, *more):
    return ccctl.json("agent", "add", name, "--skill", skills, "--serves", serves, "--capacity", str(capacity), *more)


def test_agent_add_list_set(ccctl, tenants):
    row = add_agent(ccctl, "marie", "Booking, fr", "travel,other", 2)
    assert row == {"name": "marie", "display_name": "", "skills": ["booking", "fr"], "serves": ["other", "travel"],
                   "available": True, "capacity": 2, "holding": 0, "phone": None, "state": "available",
                   "state_reason": ""}
    add_agent(ccctl, "paul", "claims", "other")
    assert [a["name"] for a in ccctl.json("agent", "list")] == ["marie", "paul"]
    assert [a["name"] for a in ccctl.json("agent", "list", "-t", "travel")] == ["marie"]
    row = ccctl.json("agent", "set", "marie", "--add-skill", "claims", "--remove-skill", "fr",
                     "--remove-tenant", "other", "--capacity", "3", "--unavailable")
    assert (row["skills"], row["serves"], row["capacity"], row["available"]) == (["booking", "claims"], ["travel"],
                                                                                 3, False)
    row = ccctl.json("agent", "set", "marie", "--skills", "x", "--serves", "other", "--available")
    assert (row["skills"], row["serves"], row["available"]) == (["x"], ["other"], True)


@pytest.mark.parametrize("args, code, message", [
    (["agent", "set", "ghost", "--capacity", "2"], 2, "no agent 'ghost'"),
    (["agent", "add", "x", "--serves", "nowhere"], 2, "no tenant 'nowhere'"),
    (["agent", "add", "Bad Name", "--serves", "travel"], 2, "must be lower-case"),
    (["agent", "add", "x", "--serves", "travel", "--capacity", "0"], 2, "0 is not in the range"),
    (["agent", "set", "marie", "--add-tenant", "nowhere"], 2, "no tenant 'nowhere'"),
    (["agent", "add", "marie", "--serves", "travel"], 1, "exists already"),
    (["queue", "next", "--agent", "ghost"], 2, "no agent 'ghost'"),
    (["queue", "next"], 2, "--agent NAME"),
    (["queue", "next", "--agent", "marie", "-t", "other"], 1, "does not serve tenant other"),
    (["queue", "next", "--agent", "marie", "-t", "nowhere"], 2, "no tenant 'nowhere'"),
])
def test_agent_and_claim_bad_input(ccctl, tenants, args, code, message):
    add_agent(ccctl, "marie")
    result = ccctl(*args, code=code)
    assert message in result.stderr


def test_unavailable_agent_claims_nothing(ccctl, tenants, make_item):
    add_agent(ccctl, "marie", "booking", "travel", 1, "--unavailable")
    make_item(subject="x")
    assert "not available" in ccctl("queue", "next", "--agent", "marie", code=1).stderr


def test_claim_order_skills_tenant_schedule_and_capacity(ccctl, tenants, make_item, fetch):
    low = make_item(subject="low", queue="bookings", priority=1)
    early = make_item(subject="due soon", queue="bookings", priority=20, due_in=timedelta(minutes=5))
    late = make_item(subject="due later", queue="bookings", priority=20, due_in=timedelta(hours=5))
    make_item(subject="needs claims", queue="claims", priority=90)  # marie lacks the skill
    make_item(subject="later today", queue="bookings", priority=95, not_before=utcnow() + timedelta(hours=2))
    make_item(tenant="other", subject="other client", priority=99)  # not served
    add_agent(ccctl, "marie", "booking", "travel", 2)
    first = ccctl.json("queue", "next", "--agent", "marie")
    second = ccctl.json("queue", "next", "--agent", "marie")
    assert (first["id"], second["id"]) == (early, late)
    assert first["tenant"] == "travel" and first["claimed_by"] == "marie"
    result = ccctl("queue", "next", "--agent", "marie")
    assert result.stdout == "" and "capacity" in result.stderr
    ccctl("item", "close", str(early), "--outcome", "resolved", "--agent", "marie", "-t", "travel")
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == low
    ccctl("agent", "set", "marie", "--capacity", "5")
    result = ccctl("queue", "next", "--agent", "marie")
    assert result.stdout == "" and "nothing open that marie may take" in result.stderr
    assert fetch(low).state == "claimed"


def test_queue_filter_and_tenant_filter(ccctl, tenants, make_item):
    make_item(subject="b", queue="bookings", priority=50)
    wanted = make_item(subject="p", queue="partners", priority=0)
    other = make_item(tenant="other", subject="o")
    add_agent(ccctl, "marie", "booking", "travel,other", 3)
    assert ccctl.json("queue", "next", "--agent", "marie", "--queue", "partners")["id"] == wanted
    assert ccctl.json("queue", "next", "--agent", "marie", "-t", "other")["id"] == other


def test_release_transfer_close_and_history(ccctl, tenants, make_item, fetch, app):
    item_id = make_item(subject="Refund", attributes={"amount": 10})
    add_agent(ccctl, "marie", "claims,booking", "travel")
    add_agent(ccctl, "paul", "booking", "travel")
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == item_id
    assert "held by marie, not paul" in ccctl("item", "release", str(item_id), "--agent", "paul", "-t", "travel",
                                               code=1).stderr
    assert ccctl.json("item", "release", str(item_id), "--agent", "marie", "-t", "travel")["state"] == "open"
    assert "not claimed" in ccctl("item", "release", str(item_id), "--agent", "marie", "-t", "travel", code=1).stderr
    # paul lacks the claims skill: a hand-over to him is refused, a move to bookings then allows it.
    assert "lacks the skills claims" in ccctl("item", "transfer", str(item_id), "--to-agent", "paul", "-t", "travel",
                                              "--agent", "marie", code=1).stderr
    moved = ccctl.json("item", "transfer", str(item_id), "--queue", "bookings", "--to-agent", "paul",
                       "--note", "simple change", "-t", "travel", "--agent", "marie")
    assert (moved["queue"], moved["state"], moved["claimed_by"], moved["skills"]) == ("bookings", "claimed", "paul",
                                                                                       ["booking"])
    closed = ccctl.json("item", "close", str(item_id), "--outcome", "resolved", "--note", "done", "--agent", "paul")
    assert (closed["state"], closed["outcome"]) == ("closed", "resolved")  # tenant found through paul
    again = ccctl("item", "close", str(item_id), "--outcome", "resolved", "-t", "travel", "--agent", "paul", code=1)
    assert "already closed (outcome resolved" in again.stderr
    shown = ccctl.json("item", "show", str(item_id), "-t", "travel")
    assert [h["summary"].split(" ")[0] for h in shown["history"]] == [
        "queued", "claimed", "released", "transferred", "closed:"]
    assert shown["history"][-1]["summary"] == "closed: resolved: done" and shown["history"][-1]["actor"] == "paul"
    with app.session() as session:
        kinds = session.scalars(select(Interaction.payload).where(Interaction.item_id == item_id)).all()
    assert [k["step"] for k in kinds] == ["created", "claimed", "released", "transferred", "closed"]


@pytest.mark.parametrize("args, code, message", [
    (["item", "close", "{other}", "--outcome", "resolved", "-t", "travel", "--agent", "paul"], 1,
     "no item {other} for tenant travel"),
    (["item", "close", "{mine}", "--outcome", "resolved", "-t", "travel"], 2,
     "say which agent acts: --agent NAME or $CCCTL_AGENT (agents of travel: paul)"),
    (["item", "release", "{mine}", "-t", "travel", "--agent", "ghost"], 2,
     "agent 'ghost' does not serve tenant travel (agents of travel: paul)"),
    (["item", "close", "{mine}", "--outcome", "resolvd", "-t", "travel", "--agent", "paul"], 2,
     "unknown outcome 'resolvd' for tenant travel (allowed: resolved, info-sent, sale"),
    (["item", "show", "{other}", "-t", "travel"], 1, "no item {other} for tenant travel"),
    (["item", "close", "{mine}", "--outcome", "resolved", "--agent", "marie"], 2, "no item {mine} in the tenants"),
    (["item", "close", "{mine}", "--outcome", "Resolved!", "-t", "travel", "--agent", "paul"], 2,
     "unknown outcome 'Resolved!'"),
    (["item", "close", "99999", "--outcome", "resolved", "-t", "travel", "--agent", "paul"], 1, "no item 99999"),
    (["item", "transfer", "{mine}", "--queue", "nope", "-t", "travel", "--agent", "paul"], 1, "no queue 'nope'"),
    (["item", "transfer", "{mine}", "-t", "travel", "--agent", "paul"], 2, "--queue NAME and/or --to-agent"),
    (["item", "transfer", "{mine}", "--queue", "bookings", "-t", "travel", "--agent", "paul"], 2,
     "already in queue bookings"),
    (["item", "transfer", "{mine}", "--to-agent", "ghost", "-t", "travel", "--agent", "paul"], 2, "no agent 'ghost'"),
    (["item", "transfer", "{mine}", "--to-agent", "marie", "-t", "travel", "--agent", "paul"], 1,
     "does not serve tenant travel"),
    (["queue", "list", "--queue", "nope", "-t", "travel"], 1, "no queue 'nope'"),
    (["queue", "show", "nope", "-t", "travel"], 1, "no queue 'nope'"),
])
def test_item_bad_input(ccctl, tenants, make_item, args, code, message):
    mine = make_item(subject="mine", queue="bookings")
    other = make_item(tenant="other", subject="theirs")
    add_agent(ccctl, "marie", "booking", "other")
    add_agent(ccctl, "paul", "booking", "travel")
    fill = {"mine": mine, "other": other}
    result = ccctl(*[a.format(**fill) for a in args], code=code)
    assert message.format(**fill) in result.stderr


def test_close_fires_item_closed_for_enabled_plugins(db_url, ccctl, tenants, make_item):
    from click.testing import CliRunner

    from ccctl.cli import create_cli
    from ccctl.hookspecs import hookimpl
    from ccctl.plugins import get_plugin_manager

    heard = []

    class Listener:
        @hookimpl
        def ccctl_item_closed(self, item, ctx):
            heard.append((item.id, item.outcome, ctx.tenant.slug))

    pm = get_plugin_manager()
    pm.register(Listener())
    item_id = make_item(subject="x")
    add_agent(ccctl, "paul", "booking", "travel")
    result = CliRunner().invoke(create_cli(pm), ["--database-url", db_url, "item", "close", str(item_id),
                                                 "--outcome", "spam", "-t", "travel", "--agent", "paul"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert heard == [(item_id, "spam", "travel")]


def test_many_processes_never_claim_one_item_twice(db_url, app, tenants, make_item, ccctl):
    workers = 8
    for n in range(workers):
        add_agent(ccctl, f"w{n}", "booking,claims,senior", "travel,other")
    ids = [make_item(subject=f"item {n}", queue=("bookings", "claims")[n % 2], priority=n % 7) for n in range(160)]
    ids += [make_item(tenant="other", subject=f"other {n}") for n in range(40)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        results = pool.starmap(claim_and_close, [(db_url, f"w{n}") for n in range(workers)])
    claimed = Counter(i for r in results for i in r["claimed"])
    assert sorted(claimed) == sorted(ids)
    assert max(claimed.values()) == 1
    assert sum(1 for r in results if r["claimed"]) > 1  # the work really was shared
    with app.session() as session:
        claims = Counter(session.scalars(select(Interaction.item_id).where(
            Interaction.channel == "queue", Interaction.payload["step"].as_string() == "claimed")))
        assert set(claims.values()) == {1} and len(claims) == len(ids)
        assert session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.state != "closed")) == 0


def test_a_prepared_claimer_still_sees_availability_and_capacity_at_claim_time(app, ccctl, tenants, make_item):
    from ccctl.errors import CcctlError
    from ccctl.queue.claims import claim_next, claimer

    first = make_item(subject="a", queue="bookings")
    make_item(subject="b", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    with app.session() as session:
        who = claimer(session, "marie")
    assert claim_next(app.engine, who).item_id == first
    assert "capacity" in claim_next(app.engine, who).reason
    ccctl("agent", "set", "marie", "--capacity", "2", "--unavailable")
    with pytest.raises(CcctlError, match="not available"):
        claim_next(app.engine, who)


def holding(app, name):
    from ccctl.db.models import Agent

    with app.session() as session:
        return session.scalar(select(Agent.holding).where(Agent.name == name))


def test_holding_counter_follows_claim_release_transfer_and_close(app, ccctl, tenants, make_item):
    a, b = make_item(subject="a", queue="bookings"), make_item(subject="b", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 2)
    add_agent(ccctl, "paul", "booking", "travel", 2)
    ccctl("queue", "next", "--agent", "marie")
    ccctl("queue", "next", "--agent", "marie")
    assert holding(app, "marie") == 2
    ccctl("item", "release", str(a), "--agent", "marie")
    assert holding(app, "marie") == 1
    ccctl("item", "transfer", str(b), "--to-agent", "paul", "--agent", "marie")
    assert (holding(app, "marie"), holding(app, "paul")) == (0, 1)
    ccctl("item", "transfer", str(b), "--to-agent", "paul", "--queue", "vip", "-t", "travel", "--agent", "paul")
    assert holding(app, "paul") == 1
    ccctl("item", "close", str(b), "--outcome", "resolved", "--agent", "paul")
    ccctl("item", "close", str(a), "--outcome", "spam", "-t", "travel", "--agent", "marie")  # open: no counter moves
    assert (holding(app, "marie"), holding(app, "paul")) == (0, 0)


def test_a_drifted_counter_is_recounted_before_refusing_a_claim(app, ccctl, tenants, make_item):
    """An item deleted while claimed leaves the counter too high: the claim recounts and goes on."""
    from sqlalchemy import delete, update

    from ccctl.db.models import Agent

    gone, kept = make_item(subject="gone", queue="bookings"), make_item(subject="kept", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == gone
    with app.transaction() as session:
        session.execute(delete(WorkItem).where(WorkItem.id == gone))
    assert holding(app, "marie") == 1
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == kept
    assert holding(app, "marie") == 1
    with app.transaction() as session:  # drifted while at capacity: the refusal gives the true count
        session.execute(update(Agent).where(Agent.name == "marie").values(holding=7))
    result = ccctl("queue", "next", "--agent", "marie")
    assert "already holds 1 item(s)" in result.stderr and holding(app, "marie") == 1


def test_postgresql_claimers_skip_each_others_locked_items(app, ccctl, tenants, make_item):
    """While another transaction holds the best item, a claim takes the next one instead of waiting."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite claimers wait for the write lock instead")
    from sqlalchemy import text

    from ccctl.queue.claims import claim_next

    first = make_item(subject="a", queue="bookings", priority=9)
    second = make_item(subject="b", queue="bookings", priority=1)
    add_agent(ccctl, "paul", "booking", "travel")
    with app.engine.connect() as holding_conn, app.engine.connect() as claiming:
        holding_conn.execute(text("SELECT id FROM work_items WHERE id = :id FOR UPDATE"), {"id": first})
        claiming.execute(text("SET lock_timeout = '5s'"))  # waiting would fail, not hang
        claiming.commit()
        assert claim_next(claiming, "paul").item_id == second
        holding_conn.rollback()


@pytest.mark.parametrize("other_commits", [True, False])
def test_postgresql_one_agent_claiming_twice_at_once_stays_within_capacity(app, ccctl, tenants, make_item,
                                                                          other_commits):
    """A claim that waits for the agent's row re-checks the counter once the other claim is done."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite claims run one at a time under the write lock")
    import threading

    from sqlalchemy import text

    from ccctl.queue.claims import claim_next

    first = make_item(subject="a", queue="bookings", priority=9)
    second = make_item(subject="b", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    results = []
    with app.engine.connect() as other:
        # Another claim by marie, done but not yet committed.
        other.execute(text("UPDATE agents SET holding = holding + 1 WHERE name = 'marie'"))
        other.execute(text("UPDATE work_items SET state = 'claimed', claimed_by = 'marie' WHERE id = :id"),
                      {"id": first})
        waiter = threading.Thread(target=lambda: results.append(claim_next(app.engine, "marie")))
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive()  # waiting for marie's row
        other.commit() if other_commits else other.rollback()
        waiter.join(10)
    (claim,) = results
    if other_commits:
        assert claim.item_id is None and "capacity" in claim.reason
    else:
        assert claim.item_id == second and holding(app, "marie") == 1  # the first was locked: skipped


def test_sqlite_claim_transaction_holds_the_write_lock_from_its_first_read(app, tenants):
    """BEGIN IMMEDIATE: while a claim transaction has only read, no other writer may begin."""
    if app.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL claims lock rows (see the SKIP LOCKED test)")
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from ccctl.queue.txn import immediate_session

    with immediate_session(app.engine) as holding:
        holding.execute(text("SELECT count(*) FROM work_items"))
        other = app.engine.connect()
        try:
            other.connection.dbapi_connection.execute("PRAGMA busy_timeout = 50")  # fail fast, not wait 30 s
            with pytest.raises(OperationalError, match="locked"):
                other.execution_options(sqlite_begin="IMMEDIATE").exec_driver_sql("SELECT 1")
        finally:
            other.close()


def test_item_wait_parks_an_item_out_of_the_queue_and_frees_the_agent(app, ccctl, tenants, make_item, fetch):
    parked, other = make_item(subject="a", queue="bookings", priority=90), make_item(subject="b", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    add_agent(ccctl, "paul", "booking", "travel", 1)
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == parked
    assert "held by marie, not paul" in ccctl("item", "wait", str(parked), "--agent", "paul", "-t", "travel",
                                              code=1).stderr
    row = ccctl.json("item", "wait", str(parked), "--agent", "marie", "--note", "asked for the reference",
                     "-t", "travel")
    assert row["state"] == "waiting" and row["claimed_by"] is None and holding(app, "marie") == 0
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == other  # the parked one is not offered
    result = ccctl("item", "wait", str(parked), "-t", "travel", "--agent", "marie", code=1)
    assert "already waiting" in result.stderr
    assert ccctl.json("item", "release", str(parked), "-t", "travel", "--agent", "marie")["state"] == "open"
    ccctl("item", "close", str(parked), "--outcome", "resolved", "-t", "travel", "--agent", "marie")
    assert "already closed" in ccctl("item", "wait", str(parked), "-t", "travel", "--agent", "marie",
                                     code=1).stderr
    with app.session() as session:
        steps = [p["step"] for p in session.scalars(select(Interaction.payload).where(
            Interaction.item_id == parked, Interaction.channel == "queue").order_by(Interaction.id))]
    assert steps[-4:] == ["claimed", "waiting", "released", "closed"]


def test_agent_remove_refuses_while_holding_items_unless_released(app, ccctl, tenants, make_item):
    item_id = make_item(subject="a", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    ccctl("queue", "next", "--agent", "marie")
    result = ccctl("agent", "remove", "marie", code=1)
    assert f"holds item(s) {item_id}" in result.stderr and "--release" in result.stderr
    assert ccctl.json("agent", "remove", "marie", "--release") == {"removed": "marie", "released": [item_id]}
    assert "no agent 'marie'" in ccctl("agent", "remove", "marie", code=2).stderr
    assert ccctl.json("item", "show", str(item_id), "-t", "travel")["state"] == "open"
    assert [a["name"] for a in ccctl.json("agent", "list")] == []


def test_item_close_next_closes_then_claims_the_agents_next_item(app, ccctl, tenants, make_item):
    first = make_item(subject="a", queue="bookings", priority=90)
    second = make_item(subject="b", queue="bookings", priority=50)
    other = make_item(subject="c", queue="claims")  # marie lacks the claims skill
    add_agent(ccctl, "marie", "booking", "travel", 1)
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == first
    result = ccctl("item", "close", str(first), "--outcome", "resolved", "--agent", "marie", "--next",
                   "--format", "json")
    assert f"closed item {first}: resolved" in result.stderr
    import json

    nxt = json.loads(result.stdout)
    assert (nxt["id"], nxt["state"], nxt["claimed_by"], nxt["tenant"]) == (second, "claimed", "marie", "travel")
    assert holding(app, "marie") == 1  # one closed, one taken: capacity 1 was enough
    # Nothing left that marie may take: the close still happens, the counter goes down.
    result = ccctl("item", "close", str(second), "--outcome", "resolved", "--agent", "marie", "--next")
    assert result.stdout == "" and "nothing open that marie may take" in result.stderr
    assert holding(app, "marie") == 0
    with app.session() as session:
        states = dict(session.execute(select(WorkItem.id, WorkItem.state)).all())
    assert (states[first], states[second], states[other]) == ("closed", "closed", "open")


def test_item_close_next_refused_close_claims_nothing(app, ccctl, tenants, make_item):
    held = make_item(subject="a", queue="bookings", priority=90)
    waiting = make_item(subject="b", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    add_agent(ccctl, "paul", "booking", "travel", 1)
    ccctl("queue", "next", "--agent", "paul")  # paul holds the first
    result = ccctl("item", "close", str(held), "--outcome", "resolved", "--agent", "marie", "--next", "-t", "travel",
                   code=1)
    assert f"item {held} is held by paul, not marie" in result.stderr
    assert holding(app, "marie") == 0 and holding(app, "paul") == 1
    assert ccctl.json("item", "show", str(waiting), "-t", "travel")["state"] == "open"  # not taken by marie
    assert "--agent" in ccctl("item", "close", str(held), "--outcome", "x", "--next", "-t", "travel", code=2).stderr
    ccctl("item", "close", str(held), "--outcome", "Bad Word", "--agent", "paul", "--next", "-t", "travel", code=2)
    assert ccctl.json("item", "show", str(held), "-t", "travel")["state"] == "claimed"


def test_close_and_claim_next_with_a_listening_plugin_fires_it_once(db_url, tenants, make_item, ccctl):
    """A tenant with a ccctl_item_closed listener takes the two-transaction path; the listener hears each close."""
    from ccctl.context import App
    from ccctl.hookspecs import hookimpl
    from ccctl.plugins import get_plugin_manager
    from ccctl.queue.autonext import close_and_claim_next
    from ccctl.queue.claims import claim_next, claimer

    heard = []

    class Listener:
        @hookimpl
        def ccctl_item_closed(self, item, ctx):
            heard.append((item.id, item.state, item.outcome))

    a, b = make_item(subject="a", queue="bookings", priority=90), make_item(subject="b", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    pm = get_plugin_manager()
    pm.register(Listener())
    app = App(pm, db_url)
    with app.engine.connect() as conn:
        who = claimer(conn, "marie")
        conn.commit()
        assert claim_next(conn, who).item_id == a
        with app.session() as session:
            ctx = app.context(session, app.tenant(session, "travel"))
            assert close_and_claim_next(ctx, conn, a, who, outcome="resolved").item_id == b
    assert heard == [(a, "closed", "resolved")]
    app.engine.dispose()


def test_item_close_next_still_respects_capacity(app, ccctl, tenants, make_item):
    """Closing an item someone else left open does not free a slot: a full agent gets nothing new."""
    held = make_item(subject="mine", queue="bookings", priority=90)
    loose = make_item(subject="loose", queue="bookings", priority=50)
    spare = make_item(subject="spare", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == held
    result = ccctl("item", "close", str(loose), "--outcome", "duplicate", "--agent", "marie", "--next", "-t", "travel")
    assert result.stdout == "" and "already holds 1 item(s)" in result.stderr
    assert ccctl.json("item", "show", str(loose), "-t", "travel")["state"] == "closed"
    assert ccctl.json("item", "show", str(spare), "-t", "travel")["state"] == "open"
    assert holding(app, "marie") == 1


def test_item_close_next_by_an_agent_gone_unavailable_closes_and_gives_the_slot_back(app, ccctl, tenants, make_item):
    held = make_item(subject="mine", queue="bookings", priority=90)
    spare = make_item(subject="spare", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    ccctl("queue", "next", "--agent", "marie")
    ccctl("agent", "set", "marie", "--unavailable")
    result = ccctl("item", "close", str(held), "--outcome", "resolved", "--agent", "marie", "--next", "-t", "travel")
    assert result.stdout == "" and "marie is not available" in result.stderr
    assert ccctl.json("item", "show", str(held), "-t", "travel")["state"] == "closed"
    assert ccctl.json("item", "show", str(spare), "-t", "travel")["state"] == "open"
    assert holding(app, "marie") == 0


def test_item_close_next_on_the_best_open_item_claims_the_one_after_it(app, ccctl, tenants, make_item):
    """The closed item was open and first in line: the claim in the same step must not take it."""
    loose = make_item(subject="loose", queue="bookings", priority=90)
    spare = make_item(subject="spare", queue="bookings", priority=50)
    add_agent(ccctl, "marie", "booking", "travel", 1)
    result = ccctl("item", "close", str(loose), "--outcome", "duplicate", "--agent", "marie", "--next", "-t", "travel",
                   "--format", "json")
    import json

    assert json.loads(result.stdout)["id"] == spare
    closed = ccctl.json("item", "show", str(loose), "-t", "travel")
    assert (closed["state"], closed["outcome"]) == ("closed", "duplicate")
    assert ccctl.json("item", "show", str(spare), "-t", "travel")["claimed_by"] == "marie"
    assert holding(app, "marie") == 1
    with app.session() as session:
        steps = session.execute(select(Interaction.payload["step"].as_string()).where(
            Interaction.item_id == loose, Interaction.channel == "queue").order_by(Interaction.id)).scalars().all()
    assert steps == ["created", "closed"]  # never claimed


def test_force_takes_over_another_agents_item_and_says_so(app, ccctl, tenants, make_item):
    item_id = make_item(subject="a", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    add_agent(ccctl, "paul", "booking", "travel", 1)
    assert ccctl.json("queue", "next", "--agent", "marie")["id"] == item_id
    refused = ccctl("item", "close", str(item_id), "--outcome", "resolved", "-t", "travel", "--agent", "paul", code=1)
    assert "held by marie, not paul" in refused.stderr
    closed = ccctl.json("item", "close", str(item_id), "--outcome", "resolved", "-t", "travel", "--force",
                        env={"CCCTL_AGENT": "paul"})
    assert (closed["state"], closed["claimed_by"]) == ("closed", "paul")
    assert (holding(app, "marie"), holding(app, "paul")) == (0, 0)
    history = ccctl.json("item", "show", str(item_id), "-t", "travel")["history"]
    assert [(h["summary"], h["actor"]) for h in history[-2:]] == [
        ("taken over from marie by paul (forced)", "paul"), ("closed: resolved", "paul")]


def test_force_with_next_takes_over_then_claims_the_next_item(app, ccctl, tenants, make_item):
    held = make_item(subject="a", queue="bookings", priority=90)
    following = make_item(subject="b", queue="bookings")
    add_agent(ccctl, "marie", "booking", "travel", 1)
    add_agent(ccctl, "paul", "booking", "travel", 1)
    ccctl("queue", "next", "--agent", "marie")
    ccctl("item", "close", str(held), "--outcome", "resolved", "--agent", "paul", "--next", "-t", "travel", code=1)
    taken = ccctl.json("item", "close", str(held), "--outcome", "resolved", "--agent", "paul", "--next", "--force",
                       "-t", "travel")
    assert taken["id"] == following and taken["claimed_by"] == "paul"
    assert (holding(app, "marie"), holding(app, "paul")) == (0, 1)


def test_outcomes_come_from_the_tenant_yaml(ccctl, tenants, make_item):
    yaml_file = tenants / "travel.yaml"
    yaml_file.write_text(yaml_file.read_text() + "outcomes: [resolved, rebooked]\n")
    ccctl("tenant", "apply", "-f", str(tenants))
    item_id = make_item(subject="a", queue="bookings")
    add_agent(ccctl, "paul", "booking", "travel", 1)
    refused = ccctl("item", "close", str(item_id), "--outcome", "spam", "-t", "travel", "--agent", "paul", code=2)
    assert "unknown outcome 'spam' for tenant travel (allowed: resolved, rebooked;" in refused.stderr
    assert ccctl.json("item", "close", str(item_id), "--outcome", "rebooked", "-t", "travel",
                      "--agent", "paul")["outcome"] == "rebooked"


@pytest.mark.parametrize("outcomes, message", [
    ("[]", "at least 1 item"), ("[Resolved]", "short lower-case words"), ("[a, a]", "must not repeat")])
def test_bad_outcome_lists_are_refused_naming_the_key(ccctl, tenants, outcomes, message):
    yaml_file = tenants / "travel.yaml"
    yaml_file.write_text(yaml_file.read_text() + f"outcomes: {outcomes}\n")
    result = ccctl("tenant", "apply", "-f", str(yaml_file), code=2)
    assert "outcomes" in result.stderr and message in result.stderr
