"""Per-client retention: periods, YAML validation, and `ccctl retention apply` from cron."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from ccctl.db.models import AuditEntry, Interaction, Tenant, WorkItem, utcnow
from ccctl.retention import parse_period

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("text, days", [("90d", 90), ("12w", 84), ("18mo", 540), ("2y", 730), (" 1 d ", 1)])
def test_periods(text, days):
    assert parse_period(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["0d", "2 years", "1m", "d", "-3d", "1.5y", "", "99999999d"])
def test_bad_periods_say_what_is_expected(text):
    with pytest.raises(ValueError, match="period like 90d|shorter than a day"):
        parse_period(text)


@given(st.integers(1, 99999), st.sampled_from(["d", "w", "mo", "y"]), st.sampled_from(["", " "]))
def test_every_well_formed_period_is_a_whole_number_of_days(n, unit, space):
    assert parse_period(f"{n}{space}{unit}") == timedelta(days=n * {"d": 1, "w": 7, "mo": 30, "y": 365}[unit])


@given(st.text(max_size=20))
def test_any_text_parses_or_raises_value_error(text):
    try:
        assert parse_period(text) >= timedelta(days=1)
    except ValueError:
        pass


YAML = """\
tenant: {slug}
name: {slug}
queues:
  - name: general
retention:
{retention}
"""


@pytest.fixture
def clients(ccctl, tmp_path):
    def write(slug: str, retention: str) -> object:
        path = tmp_path / f"{slug}.yaml"
        path.write_text(YAML.format(slug=slug, retention=retention))
        return path
    return write


@pytest.mark.parametrize("retention, line, key, reason", [
    ("  history: 2 years", 6, "retention.history", "'2 years' is not a period like 90d"),
    ("  history: 2y\n  recordings: 90d", 7, "retention.recordings", "no retention kind 'recordings' (kinds: audit,"),
])
def test_bad_retention_yaml_names_file_line_and_key(ccctl, clients, retention, line, key, reason):
    path = clients("acme", retention)
    message = ccctl("tenant", "apply", "-f", path, code=2).stderr
    assert f"{path}:{line}: key '{key}'" in message and reason in message


def test_kinds_lists_core_and_plugin_kinds(ccctl):
    kinds = {row["kind"] for row in ccctl.json("retention", "kinds")}
    assert {"closed_items", "history", "audit", "mail", "quarantine"} <= kinds


def _backdate(app, slug: str, days: int) -> None:
    """Everything the tenant has so far is made ``days`` old."""
    old = utcnow() - timedelta(days=days)
    with app.transaction() as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        session.execute(update(WorkItem).where(WorkItem.tenant_id == tenant_id, WorkItem.state == "closed")
                        .values(closed_at=old))
        session.execute(update(Interaction).where(Interaction.tenant_id == tenant_id).values(occurred_at=old))
        session.execute(update(AuditEntry).where(AuditEntry.tenant_id == tenant_id).values(at=old))


def _count(app, model, slug: str) -> int:
    with app.session() as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        return session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id))


def _work(app, slug: str, closed: int, open_: int) -> None:
    from ccctl.queue.closing import close_item
    from ccctl.queue.items import create_item

    with app.transaction() as session:
        ctx = app.context(session, app.tenant(session, slug))
        for n in range(closed + open_):
            item, _ = create_item(ctx, "email", subject=f"{slug} {n}")
            if n < closed:
                close_item(ctx, item.id, outcome="resolved")


def test_apply_deletes_what_is_past_its_period_and_nothing_else(ccctl, clients, app):
    ccctl("tenant", "apply", "-f", clients("acme", "  closed_items: 1y\n  audit: 300d"))
    ccctl("tenant", "apply", "-f", clients("bravo", "  closed_items: 1y"))
    _work(app, "acme", closed=3, open_=2)
    _work(app, "bravo", closed=2, open_=0)
    with app.transaction() as session:  # an audit line to age
        from ccctl.audit import audit

        audit(session, app.tenant(session, "acme").id, "dpo", "customer.export", "customer:1")
    _backdate(app, "acme", 400)
    _backdate(app, "bravo", 200)  # younger than its year: kept
    events_of_open = 2  # each open item's "created" event stays: only closed items' events go
    dry = ccctl.json("retention", "apply", "--all-tenants", "--dry-run")
    assert {(r["tenant"], r["kind"]): r["rows"] for r in dry} == {
        ("acme", "closed_items"): 3, ("acme", "audit"): 1, ("bravo", "closed_items"): 0}
    assert _count(app, WorkItem, "acme") == 5  # the dry run deleted nothing
    done = ccctl.json("retention", "apply", "--all-tenants", "--actor", "cron")
    assert {(r["tenant"], r["kind"]): r["rows"] for r in done} == {
        ("acme", "closed_items"): 3, ("acme", "audit"): 1, ("bravo", "closed_items"): 0}
    assert _count(app, WorkItem, "acme") == 2 and _count(app, WorkItem, "bravo") == 2
    assert _count(app, Interaction, "acme") == events_of_open
    lines = ccctl.json("audit", "--action", "retention.")
    assert {(e["tenant"], e["actor"]) for e in lines} == {("acme", "cron"), ("bravo", "cron")}
    again = ccctl.json("retention", "apply", "--all-tenants")
    assert {r["rows"] for r in again} == {0}
    assert ccctl("retention", "apply", "--all-tenants", "--quiet").stdout == ""


def test_one_broken_tenant_is_named_and_the_others_go_on(ccctl, clients, app):
    ccctl("tenant", "apply", "-f", clients("acme", "  history: 30d"))
    ccctl("tenant", "apply", "-f", clients("bravo", "  history: 30d"))
    ccctl("tenant", "apply", "-f", clients("zulu", "  history: 30d"))
    _work(app, "bravo", closed=1, open_=0)
    _backdate(app, "bravo", 60)
    with app.transaction() as session:  # a period damaged behind the validator's back
        tenant = app.tenant(session, "acme")
        tenant.config = {**tenant.config, "retention": {"history": "soon"}}
    ccctl("tenant", "archive", "zulu")
    result = ccctl("retention", "apply", "--all-tenants", "--format", "json", code=1)
    assert "tenant acme: skipped: 'soon' is not a period" in result.stderr   # the shared cron rule (ccctl/cron.py)
    assert "retention apply: 1 tenant(s) with problems: acme" in result.stderr
    assert [r["tenant"] for r in __import__("json").loads(result.stdout)] == ["bravo"]  # zulu is archived
    assert _count(app, Interaction, "bravo") == 0
    assert "-t SLUG (or $CCCTL_TENANT) or --all-tenants" in ccctl("retention", "apply", code=2).stderr


def test_plugin_kinds_go_through_the_plugin(ccctl, tmp_path, app):
    from ccctl_email.models import EmailMessage

    path = tmp_path / "mailer.yaml"
    path.write_text("tenant: mailer\nname: Mailer\nqueues:\n  - name: general\nplugins:\n  email:\n    enabled: true\n"
                    "retention:\n  mail: 30d\n")
    ccctl("tenant", "apply", "-f", path)
    ccctl("email", "ingest", "-t", "mailer", "--no-ack", str(EXAMPLES / "mail" / "annulation.eml"))
    assert _count(app, EmailMessage, "mailer") == 1
    assert ccctl.json("retention", "apply", "-t", "mailer")[0]["rows"] == 0  # too young
    with app.transaction() as session:
        session.execute(update(EmailMessage).values(created_at=utcnow() - timedelta(days=31)))
    assert [(r["kind"], r["rows"]) for r in ccctl.json("retention", "apply", "-t", "mailer")] == [("mail", 1)]
    assert _count(app, EmailMessage, "mailer") == 0
