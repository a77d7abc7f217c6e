"""The one rule of cron commands (ccctl/cron.py), checked on core commands: tenant selection,
--quiet, exit codes, one tenant's failure never stopping the others, runs recorded for status."""

from __future__ import annotations

import json

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccctl.cron import EXIT_CODES, CronRun


def test_escalate_as_the_readme_writes_it_runs_every_tenant(example_tenants):
    result = example_tenants("queue", "escalate", "--format", "json")   # no -t: every tenant, exit 0
    assert json.loads(result.stdout) == []
    quiet = example_tenants("queue", "escalate", "--quiet")
    assert (quiet.stdout, quiet.stderr) == ("", "")
    one = example_tenants("queue", "escalate", env={"CCCTL_TENANT": "voyages-lumiere"})
    assert "0 item(s) escalated" in one.stderr
    example_tenants("queue", "escalate", "-t", "nobody", code=2)


def test_agent_list_honours_ccctl_tenant(example_tenants):
    for name, serves in (("marie", "voyages-lumiere"), ("paul", "assurance-horizon")):
        example_tenants("agent", "add", name, "--skill", "fr", "--serves", serves)
    assert [a["name"] for a in example_tenants.json("agent", "list")] == ["marie", "paul"]
    one = json.loads(example_tenants("agent", "list", "--format", "json",
                                     env={"CCCTL_TENANT": "assurance-horizon"}).stdout)
    assert [a["name"] for a in one] == ["paul"]


def test_runs_are_recorded_per_tenant(example_tenants, app):
    from sqlalchemy import select

    from ccctl.db.models import CronRunRecord

    example_tenants("queue", "escalate", "--quiet")
    example_tenants("queue", "escalate", "--quiet", "-t", "voyages-lumiere")
    with app.session() as session:
        runs = {(r.job, r.tenant_id): r for r in session.scalars(select(CronRunRecord))}
    assert {job for job, _ in runs} == {"queue escalate"} and len(runs) == 2
    assert sorted(r.runs for r in runs.values()) == [1, 2]
    assert all(r.last_ok_at is not None and r.last_problem is None for r in runs.values())


def test_runs_finishing_together_share_the_first_row(example_tenants, app, db_url):
    """Two runs of a job record at once, neither having a row yet: one row, both runs counted."""
    import threading

    from sqlalchemy import select

    from ccctl.context import App
    from ccctl.cron import TenantOutcome, record_runs
    from ccctl.db.models import CronRunRecord

    with app.session() as session:
        tenant_id = app.tenant(session, "voyages-lumiere").id
    others = [App(app.pm, db_url) for _ in range(4)]
    start, failures = threading.Barrier(len(others)), []

    def run(other, n):
        start.wait()
        try:
            record_runs(other, "race job", [TenantOutcome("voyages-lumiere", tenant_id,
                                                          "left work" if n == 0 else None)])
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(other, n)) for n, other in enumerate(others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for other in others:
        other.close()
    assert failures == []
    with app.session() as session:
        (row,) = session.scalars(select(CronRunRecord).where(CronRunRecord.job == "race job")).all()
    assert row.runs == 4 and row.last_problem == "left work"


class FakeTenant:
    def __init__(self, slug, id_):
        self.slug, self.id = slug, id_


def test_each_skips_only_the_failing_tenant_and_names_it(capsys):
    run = CronRun("demo job")
    done = []

    def work(tenant):
        if tenant.slug == "bad":
            raise click.ClickException("plugins.sms.auth_token: environment variable X is not set")
        if tenant.slug == "worse":
            raise RuntimeError("boom")
        done.append(tenant.slug)
        return tenant.slug

    results = run.each([FakeTenant("a", 1), FakeTenant("bad", 2), FakeTenant("worse", 3), FakeTenant("z", 4)], work)
    assert results == done == ["a", "z"]
    err = capsys.readouterr().err
    assert "tenant bad: skipped: plugins.sms.auth_token" in err and "tenant worse: skipped after an unexpected RuntimeError" in err
    assert run.exit_code == 1 and [o.slug for o in run.problems] == ["bad", "worse"]
    assert set(EXIT_CODES) == {0, 1, 2}


def test_quiet_hides_output_only_when_all_went_well(capsys):
    run = CronRun("demo", quiet=True)
    run.ok(FakeTenant("a", 1))
    run.emit_object({"sent": 3}, "json")
    run.note("3 sent")
    assert capsys.readouterr() == ("", "")
    run.problem(FakeTenant("b", 2), "provider down")
    run.emit_object({"sent": 3}, "json")
    out = capsys.readouterr()
    assert '"sent": 3' in out.out and "tenant b: provider down" in out.err


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans()), max_size=12))
def test_exit_code_is_1_exactly_when_some_tenant_had_a_problem(events):
    run = CronRun("prop", quiet=True)
    for slug, bad in events:
        if bad:
            run.problem(FakeTenant(slug, 1), "x")
        else:
            run.ok(FakeTenant(slug, 1))
    assert run.exit_code == (1 if any(bad for _, bad in events) else 0)
    assert {o.slug for o in run.problems} == {slug for slug, bad in events if bad}
    assert run.silent == (not any(bad for _, bad in events))


@pytest.mark.parametrize("args", [["-t", "voyages-lumiere", "--all-tenants"]])
def test_both_selections_is_bad_usage(example_tenants, args):
    assert "not both" in example_tenants("queue", "escalate", *args, code=2).stderr


@given(default=st.integers(1, 10_000), jobs=st.dictionaries(
    st.from_regex(r"[a-z]{2,8} [a-z]{2,8}", fullmatch=True), st.integers(1, 10_000), max_size=3))
def test_stale_limits_take_a_default_and_per_job_durations(default, jobs):
    from datetime import timedelta

    from ccctl.health import stale_limits

    limits = stale_limits([f"{default}m", *(f"{job}={minutes}m" for job, minutes in jobs.items())])
    assert limits["*"] == timedelta(minutes=default)
    for job, minutes in jobs.items():
        assert limits[job] == timedelta(minutes=minutes)
    if "retention apply" not in jobs:
        assert limits["retention apply"] == timedelta(days=2)


@given(st.text(max_size=12).filter(lambda t: not t.rpartition("=")[2].strip()[:1].isdigit()))
def test_stale_limits_refuse_what_is_not_a_duration(text):
    from ccctl.health import stale_limits

    with pytest.raises(ValueError):
        stale_limits([text])
