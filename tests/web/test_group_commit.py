"""Group commit (ccctl/web/batch.py) and the bulk contact store: requests that queue for the write
turn are stored together; a double submit in one batch makes one item; a bad job fails alone."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from ccctl.db.models import ContactPoint, Customer, Interaction, WorkItem
from ccctl.web.batch import GroupWriter
from ccctl.web.contact_form import read_form, validate
from ccctl.web.contact_store import store_contacts
from ccctl.web.scope import TenantDirectory

TENANT = "voyages-lumiere"


def form(sid: str, **fields):
    data = {"name": "Jean Dupont", "email": "jean@example.org", "message": "Rappelez-moi", **fields,
            "submission_id": sid}
    f = read_form(data, "")
    assert validate(f, "FR") == {}
    return f


def count(app, model, *where) -> int:
    with app.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def queued_together(writer: GroupWriter, tenant, jobs: list) -> list:
    """Run ``jobs`` on threads that all queue while the turn is held, so one batch takes them all.
    Each entry of the result is the job's result or the exception it raised."""
    results: list = [None] * len(jobs)

    def send(n: int) -> None:
        try:
            results[n] = writer.run(tenant, jobs[n])
        except Exception as exc:  # the test looks at it
            results[n] = exc

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(jobs))]
    with writer._turn:
        for t in threads:
            t.start()
        while len(writer._queue) < len(jobs):  # every job queued behind the held turn
            time.sleep(0.005)
    for t in threads:
        t.join(30)
    return results


@pytest.fixture
def tenant(app, example_tenants):
    return TenantDirectory(app).lookup(TENANT)


def test_one_batch_stores_every_submission_and_a_double_submit_once(app, tenant):
    batches: list[int] = []

    def store(ctx, submissions):
        batches.append(len(submissions))
        return store_contacts(ctx, submissions)

    writer = GroupWriter(app, store)
    jobs = [(form("a" * 32), {}), (form("b" * 32, email="marie@example.org", name="Marie"), {}),
            (form("a" * 32), {}),  # the double click, in the same batch
            (form("c" * 32, email="", phone="06 12 34 56 78"), {"embed": True})]
    results = queued_together(writer, tenant, jobs)
    assert batches == [4]  # one transaction for all four
    assert [created for _item, created in results] == [True, True, False, True]
    assert results[0][0].id == results[2][0].id
    assert count(app, WorkItem, WorkItem.channel == "web") == 3
    assert count(app, Interaction, Interaction.channel == "web") == 3  # one contact event per item
    assert count(app, Interaction, Interaction.channel == "queue") == 3  # and one "created" step
    assert count(app, Customer) == 3
    with app.session() as s:
        item = s.get(WorkItem, results[3][0].id)
        assert item.attributes["embed"] is True and item.customer_id is not None
        assert s.scalar(select(ContactPoint.value).where(ContactPoint.customer_id == item.customer_id)) \
            == "+33612345678"


def test_a_failing_job_fails_alone_and_the_others_are_stored(app, tenant):
    def store(ctx, submissions):
        if any(f.name == "Boom" for f, _c in submissions):
            raise RuntimeError("broken submission")
        return store_contacts(ctx, submissions)

    writer = GroupWriter(app, store)
    jobs = [(form("d" * 32), {}), (form("e" * 32, name="Boom"), {}), (form("f" * 32, email="ann@example.org"), {})]
    results = queued_together(writer, tenant, jobs)
    assert isinstance(results[1], RuntimeError) and str(results[1]) == "broken submission"
    assert results[0][1] is True and results[2][1] is True
    assert count(app, WorkItem, WorkItem.channel == "web") == 2
    assert count(app, Customer, Customer.name == "Boom") == 0  # the rolled-back batch left nothing behind


def test_more_jobs_than_one_batch_all_get_stored(app, tenant, monkeypatch):
    monkeypatch.setattr("ccctl.web.batch.MAX_BATCH", 2)
    batches: list[int] = []

    def store(ctx, submissions):
        batches.append(len(submissions))
        return store_contacts(ctx, submissions)

    writer = GroupWriter(app, store)
    jobs = [(form(f"{n:032x}", email=f"v{n}@example.org"), {}) for n in range(5)]
    results = queued_together(writer, tenant, jobs)
    assert all(created for _item, created in results)
    assert sorted(batches) == [1, 2, 2] and count(app, WorkItem, WorkItem.channel == "web") == 5


def test_concurrent_posts_over_http_store_one_item_per_submission(app, example_tenants):
    """Real server, many visitors at once (double clicks included): every answer is the 303, and
    the database holds exactly one item and one contact event per distinct submission."""
    from concurrent.futures import ThreadPoolExecutor

    from support.live_server import threaded_server

    from ccctl.web.app import create_web_app
    from ccctl.web.settings import WebSettings

    from .test_contact_form import GOOD, Visitor

    with threaded_server(create_web_app(app, WebSettings(rate_limit=0))) as base:
        visitors = [Visitor(base) for _ in range(12)]
        for v in visitors:
            v.load()

        def post(n: int) -> int:
            v = visitors[n % 12]  # posts n and n + 12: the same submission twice
            return v.post({**GOOD, "email": f"visitor{n % 12}@example.org"}).status_code

        with ThreadPoolExecutor(24) as pool:
            codes = list(pool.map(post, range(24)))
        for v in visitors:
            v.client.close()
    assert codes == [303] * 24
    assert count(app, WorkItem, WorkItem.channel == "web") == 12
    assert count(app, Interaction, Interaction.channel == "web") == 12
    assert count(app, Customer) == 12
