"""INSERT ... ON CONFLICT DO NOTHING (ccctl.db.upsert) and the races it settles: a concurrent writer
storing the same external ref / id / key between our check and our insert."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ccctl.customers import record_interaction
from ccctl.db.models import Interaction, SkillSet, WorkItem
from ccctl.db.upsert import insert_many_or_skip, insert_or_skip
from ccctl.queue import items as items_module
from ccctl.queue.items import create_item
from ccctl.queue.skills import skill_set_id


def test_insert_or_skip_stores_once_and_other_violations_still_raise(app):
    with app.transaction() as session:
        first = insert_or_skip(session, SkillSet, dict(key="fr|vip", skills=["fr", "vip"]), conflict=("key",),
                               returning=SkillSet.id)
        again = insert_or_skip(session, SkillSet, dict(key="fr|vip", skills=["other"]), conflict=("key",),
                               returning=SkillSet.id)
        assert isinstance(first, int) and again is None
        assert session.scalar(select(SkillSet.skills).where(SkillSet.key == "fr|vip")) == ["fr", "vip"]
        assert skill_set_id(session, ["vip", "fr"]) == first
    with app.transaction(commit=False) as session, pytest.raises(IntegrityError):
        insert_or_skip(session, SkillSet, dict(key=None, skills=[]), conflict=("key",))   # NOT NULL


def test_insert_many_or_skip_returns_only_the_rows_it_stored(app):
    with app.transaction() as session:
        theirs = insert_or_skip(session, SkillSet, dict(key="de", skills=["de"]), conflict=("key",),
                                returning=SkillSet.id)
        rows = [dict(key=f"k{n}", skills=[f"s{n}"]) for n in range(700)] + [dict(key="de", skills=["mine"])]
        made = insert_many_or_skip(session, SkillSet, rows, conflict=("key",))
        assert sorted(r.key for r in made) == sorted(f"k{n}" for n in range(700))   # "de" skipped
        assert all(r.id and r.skills == [f"s{r.key[1:]}"] for r in made) and theirs not in {r.id for r in made}
        assert session.scalar(select(SkillSet.skills).where(SkillSet.key == "de")) == ["de"]
        assert insert_many_or_skip(session, SkillSet, rows[:3], conflict=("key",)) == []
        assert insert_many_or_skip(session, SkillSet, [], conflict=("key",)) == []
    with app.transaction(commit=False) as session, pytest.raises(IntegrityError):
        insert_many_or_skip(session, SkillSet, [dict(key="x", skills=[]), dict(key=None, skills=[])], conflict=("key",))


def test_create_item_returns_the_concurrent_writers_item(example_tenants, app, monkeypatch):
    with app.transaction() as other:   # the other writer, committed first
        tenant = app.tenant(other, "voyages-lumiere")
        create_item(app.context(other, tenant), "email", subject="theirs", external_ref="<m1@example.fr>")
    real, missed = items_module._by_ref, []

    def check_before_they_committed(ctx, channel, ref):
        if not missed:   # our "is it there?" ran just before their commit: it saw nothing
            missed.append(ref)
            return None
        return real(ctx, channel, ref)

    monkeypatch.setattr(items_module, "_by_ref", check_before_they_committed)
    with app.transaction() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        item, created = create_item(app.context(session, tenant), "email", subject="mine",
                                    external_ref="<m1@example.fr>")
        assert missed and created is False and item.subject == "theirs"
    with app.session() as session:
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 1


def test_record_interaction_returns_the_concurrent_writers_row(example_tenants, app):
    with app.transaction() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        mine, created = record_interaction(session, tenant, "sms", summary="first", external_id="SM1")
        assert created
    with app.transaction() as session:
        tenant = app.tenant(session, "voyages-lumiere")
        # The quick check finds it; the insert path (as after a missed check) must skip it too.
        again = insert_or_skip(session, Interaction, dict(tenant_id=tenant.id, channel="sms", summary="second",
                                                          external_id="SM1", direction="in", payload={}),
                               conflict=("tenant_id", "channel", "external_id"))
        assert again is None
        same, created = record_interaction(session, tenant, "sms", summary="second", external_id="SM1")
        assert not created and same.id == mine.id and same.summary == "first"
