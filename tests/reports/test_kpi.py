"""ccctl report kpi: every figure checked against a hand-computed two-day story."""

import csv
import io
from datetime import datetime, timedelta

import pytest

from reports.report_helpers import EXAMPLES, add_interaction, add_item, paris, runner_with

from ccctl.customers import add_customer
from ccctl.hookspecs import hookimpl

DAY1 = ("--from", "2026-11-02", "--to", "2026-11-03")


@pytest.fixture
def story(example_tenants, app):
    """Five items on Monday 2 Nov, one on Tuesday (Paris time), self-help, noise from another tenant."""
    with app.session() as s:
        t = app.tenant(s, "voyages-lumiere")
        a = add_customer(s, t, "Client A", emails=["a@example.fr"])
        b = add_customer(s, t, "Client B", emails=["b@example.fr"])
        i1 = add_item(s, t, created=paris(2026, 11, 2, 9), claimed=paris(2026, 11, 2, 9, 10),
                      closed=paris(2026, 11, 2, 10), outcome="resolved", customer_id=a.id)
        add_interaction(s, t, "email", at=paris(2026, 11, 2, 9, 5), direction="out", item=i1)
        add_interaction(s, t, "email", at=paris(2026, 11, 2, 8, 0), direction="out", item=i1)  # before: ignored
        i3 = add_item(s, t, "callback", created=paris(2026, 11, 2, 11), claimed=paris(2026, 11, 2, 11, 20),
                      closed=paris(2026, 11, 2, 12), outcome="reached")
        # Machines do not respond: an acknowledgement and a self-help answer come before the claim.
        add_interaction(s, t, "email", at=paris(2026, 11, 2, 11, 1), direction="out", item=i3,
                        payload={"kind": "ack"})
        add_interaction(s, t, "selfhelp", at=paris(2026, 11, 2, 11, 2), direction="out", item=i3)
        # A claim the agent released: only the queue's history remembers it (10 min, not 20).
        i4 = add_item(s, t, "callback", created=paris(2026, 11, 2, 11, 30), closed=paris(2026, 11, 2, 17),
                      outcome="wrong-number")
        add_interaction(s, t, "queue", at=paris(2026, 11, 2, 11, 40), direction="internal", item=i4,
                        payload={"step": "claimed"})
        add_interaction(s, t, "queue", at=paris(2026, 11, 2, 11, 35), direction="internal", item=i4,
                        payload={"step": "escalated"})
        add_item(s, t, queue="apres-vente", sla=timedelta(hours=24), created=paris(2026, 11, 2, 10),
                 claimed=paris(2026, 11, 2, 10, 30), closed=paris(2026, 11, 3, 9), outcome="resolved",
                 customer_id=b.id)
        add_item(s, t, created=paris(2026, 11, 2, 12))
        add_item(s, t, created=paris(2026, 11, 3, 9))
        add_item(s, t, created=paris(2026, 11, 5, 9), customer_id=a.id)  # A comes back: item 1 was no FCR
        for hour in (9, 10, 15):
            add_interaction(s, t, "selfhelp", at=paris(2026, 11, 2, hour))
        add_interaction(s, t, "selfhelp", at=paris(2026, 11, 3, 8))
        other = app.tenant(s, "assurance-horizon")
        add_item(s, other, queue="sinistres", created=paris(2026, 11, 2, 9))
        add_interaction(s, other, "selfhelp", at=paris(2026, 11, 2, 9))
        s.commit()
    return example_tenants


def test_daily_figures(story):
    rows = story.json("report", "kpi", "-t", "voyages-lumiere", *DAY1)["rows"]
    day1, day2, total = rows
    assert day1 == {
        "period": "2026-11-02", "items": 5, "sla_pct": 60.0, "sla_met": 3, "sla_missed": 2,
        "first_response_median_min": 15.0, "backlog": 2, "backlog_median_age_h": 13.0, "backlog_oldest_h": 14.0,
        "fcr_pct": 50.0, "callback_reach_pct": 50.0, "selfhelp": 4, "deflection_pct": 44.4,
        "ch_callback": 2, "ch_email": 3, "q_apres-vente": 1, "q_reservations": 4,
    }
    assert day2 == {
        "period": "2026-11-03", "items": 1, "sla_pct": 0.0, "sla_met": 0, "sla_missed": 1,
        "first_response_median_min": None, "backlog": 2, "backlog_median_age_h": 25.5, "backlog_oldest_h": 36.0,
        "fcr_pct": None, "callback_reach_pct": None, "selfhelp": 1, "deflection_pct": 50.0,
        "ch_callback": 0, "ch_email": 1, "q_apres-vente": 0, "q_reservations": 1,
    }
    assert total["period"] == "total" and total["items"] == 6
    assert (total["sla_pct"], total["selfhelp"], total["deflection_pct"]) == (50.0, 5, 45.5)
    assert total["backlog"] == 2 and total["ch_email"] == 4


def test_hourly_buckets_and_csv(story):
    out = story("report", "kpi", "-t", "voyages-lumiere", "--by", "hour", "--from", "2026-11-02",
                "--to", "2026-11-02", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 25  # 24 hours and the total
    eleven = next(r for r in rows if r["period"] == "2026-11-02 11:00")
    assert eleven["items"] == "2" and eleven["ch_callback"] == "2" and eleven["callback_reach_pct"] == "50.0"
    assert rows[-1]["period"] == "total" and rows[-1]["items"] == "5"


def test_tenants_do_not_mix(story):
    rows = story.json("report", "kpi", "-t", "assurance-horizon", *DAY1)["rows"]
    assert rows[-1]["items"] == 1 and rows[-1]["selfhelp"] == 1 and "ch_callback" not in rows[-1]


@pytest.mark.parametrize("args, message", [
    (("--from", "2026-11-05", "--to", "2026-11-01"), "--from 2026-11-05 is after --to 2026-11-01"),
    (("--from", "yesterday"), "--from: 'yesterday' is not a date"),
    (("--to", "2026-13-01"), "--to: '2026-13-01' is not a date"),
    (("--by", "hour", "--from", "2026-01-01", "--to", "2026-11-01"), "--by hour covers at most 62 days"),
    (("--by", "week"), "'week' is not one of"),
])
def test_bad_input(example_tenants, args, message):
    result = example_tenants("report", "kpi", "-t", "voyages-lumiere", *args, code=2)
    assert message in result.stderr


def test_unknown_tenant(example_tenants):
    result = example_tenants("report", "kpi", "-t", "nobody", *DAY1, code=2)
    assert "no tenant 'nobody'" in result.stderr


def test_report_is_audited(story):
    story("report", "kpi", "-t", "voyages-lumiere", *DAY1, "--actor", "camille")
    entries = story.json("audit", "--tenant", "voyages-lumiere")
    assert entries[0]["actor"] == "camille" and entries[0]["action"] == "report.kpi"
    assert entries[0]["details"]["by"] == "day"


@pytest.mark.browser
def test_html_report_renders_charts_offline(story, page, tmp_path):
    page_file = tmp_path / "kpi.html"
    story("report", "kpi", "-t", "voyages-lumiere", *DAY1, "--html", str(page_file), "--format", "json")
    html = page_file.read_text(encoding="utf-8")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    charts = page.eval_on_selector_all("figure.chart", "els => els.map(e => e.dataset.chart)")
    assert charts == ["volumes", "sla", "first-response", "backlog"]
    for name in charts:
        box = page.locator(f'figure[data-chart="{name}"] svg').bounding_box()
        assert box["width"] > 600 and box["height"] > 200
    bars = page.locator('figure[data-chart="volumes"] rect.bar')
    assert bars.count() == 3  # day 1: email and callback stacked; day 2: email
    assert all(bars.nth(i).bounding_box()["height"] > 0 for i in range(bars.count()))
    # Day 1's email bar (3 items) is three times day 2's (1 item).
    email = page.locator('figure[data-chart="volumes"] rect.bar[data-series="email"]')
    assert email.nth(0).bounding_box()["height"] == pytest.approx(3 * email.nth(1).bounding_box()["height"], rel=0.01)
    assert page.locator('figure[data-chart="sla"] polyline.line').count() == 1
    assert "Voyages Lumière" in page.title()
    page.screenshot(path=str(tmp_path / "kpi.png"), full_page=True)
    assert requests == [page_file.as_uri()]  # the page itself, nothing else
    assert (tmp_path / "kpi.png").stat().st_size > 10_000


def test_backlog_sweep_matches_the_definition():
    """The one-pass backlog equals 'created before, not closed by then' counted naively."""
    import random
    import statistics
    from datetime import datetime, timezone

    from ccctl.reports.kpi import ItemFacts, _backlog_series

    rng = random.Random(7)
    base = datetime(2026, 11, 1, tzinfo=timezone.utc)
    items = []
    for n in range(400):
        created = base + timedelta(minutes=rng.randrange(0, 3000))
        closed = created + timedelta(minutes=rng.randrange(0, 900)) if rng.random() < 0.7 else None
        items.append(ItemFacts(n, "email", "q", None, created, None, None, closed, None))
    items.append(ItemFacts(999, "email", "q", None, base + timedelta(minutes=60), None, None,
                           base + timedelta(minutes=60), None))  # closed the instant it opened
    moments = [base + timedelta(minutes=m) for m in range(0, 3600, 37)]
    for moment, got in zip(moments, _backlog_series(items, moments)):
        ages = [(moment - i.created_at).total_seconds() / 3600 for i in items
                if i.created_at < moment and (i.closed_at is None or i.closed_at > moment)]
        assert got["backlog"] == len(ages)
        if ages:
            assert got["backlog_median_age_h"] == round(statistics.median(ages), 1)
            assert got["backlog_oldest_h"] == round(max(ages), 1)
        else:
            assert got["backlog_median_age_h"] is None


def test_html_escapes_names_and_survives_an_empty_period(example_tenants, tmp_path):
    from ccctl.reports.html import kpi_page

    page_file = tmp_path / "empty.html"
    example_tenants("report", "kpi", "-t", "assurance-horizon", *DAY1, "--html", str(page_file))
    html = page_file.read_text(encoding="utf-8")
    assert html.count('<figure class="chart"') == 4 and "rect class=\"bar\"" not in html
    rows = [{"period": "<b>", "items": 1, "sla_pct": None, "first_response_median_min": None, "backlog": 0,
             "fcr_pct": None, "callback_reach_pct": None, "deflection_pct": None, "ch_<img src=x>": 1},
            {"period": "total", "items": 1, "sla_pct": None, "first_response_median_min": None, "backlog": 0,
             "fcr_pct": None, "callback_reach_pct": None, "deflection_pct": None, "ch_<img src=x>": 1}]
    page = kpi_page("<script>alert(1)</script>", "p", "day", rows, ["period", "items", "ch_<img src=x>"])
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page


class FaqViews:
    """A self-help plugin reporting anonymous FAQ views (no history entry)."""

    def __init__(self, moments, keep_all=False):
        self.moments, self.keep_all = moments, keep_all

    @hookimpl
    def ccctl_list_self_service_events(self, start, end, ctx):
        if ctx.tenant.slug != "voyages-lumiere":
            return []
        return self.moments if self.keep_all else [m for m in self.moments if start <= m < end]


def _enable(cli, name, tmp_path):
    """Apply voyages-lumiere's example YAML with plugin ``name`` switched on too."""
    path = tmp_path / "voyages.yaml"
    path.write_text((EXAMPLES / "clients" / "voyages-lumiere.yaml").read_text(encoding="utf-8")
                    + f"  {name}:\n    enabled: true\n", encoding="utf-8")
    cli("tenant", "apply", "-f", str(path))


def test_plugin_self_service_events_count_as_deflection(story, ccctl_with, tmp_path):
    views = FaqViews([paris(2026, 11, 2, 9, 30)] * 6 + [paris(2026, 11, 3, 10), paris(2026, 12, 1, 10)])
    cli = runner_with(ccctl_with, views, "faqviews")
    assert cli.json("report", "kpi", "-t", "voyages-lumiere", *DAY1)["rows"][-1]["selfhelp"] == 5  # not enabled yet
    _enable(cli, "faqviews", tmp_path)  # per-tenant hook calls reach it once the YAML enables it
    day1, day2, total = cli.json("report", "kpi", "-t", "voyages-lumiere", *DAY1)["rows"]
    assert (day1["selfhelp"], day2["selfhelp"], total["selfhelp"]) == (4 + 6, 1 + 1, 12)
    assert total["deflection_pct"] == round(100 * 12 / 18, 1)


def test_a_plugin_returning_bad_times_is_named(story, ccctl_with, tmp_path):
    plugin = FaqViews([datetime(2026, 11, 2, 9)], keep_all=True)  # naive
    cli = runner_with(ccctl_with, plugin, "faqviews")
    _enable(cli, "faqviews", tmp_path)
    result = cli("report", "kpi", "-t", "voyages-lumiere", *DAY1, code=1)
    assert "ccctl_list_self_service_events returned datetime.datetime(2026, 11, 2, 9, 0): want aware" in result.stderr
    plugin.moments = [paris(2026, 12, 1, 10)]
    result = cli("report", "kpi", "-t", "voyages-lumiere", *DAY1, code=1)
    assert "returned 2026-12-01T09:00:00+00:00, outside the period" in result.stderr


def test_dst_nights_keep_every_hour(example_tenants, app):
    """25 hours on the autumn night (the two 02:00 hours apart), 23 in spring, days cut at local midnight."""
    from datetime import timezone

    with app.session() as s:
        t = app.tenant(s, "voyages-lumiere")
        add_item(s, t, created=datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc))  # 02:30 +02:00
        add_item(s, t, created=datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc))  # 02:30 +01:00
        add_item(s, t, created=datetime(2026, 10, 25, 22, 30, tzinfo=timezone.utc))  # 23:30 local, still the 25th
        s.commit()
    autumn = example_tenants.json("report", "kpi", "-t", "voyages-lumiere", "--by", "hour",
                                  "--from", "2026-10-25", "--to", "2026-10-25")["rows"]
    assert len(autumn) == 25 + 1
    by_label = {r["period"]: r["items"] for r in autumn}
    assert by_label["2026-10-25 02:00 +02:00"] == 1 and by_label["2026-10-25 02:00 +01:00"] == 1
    assert by_label["2026-10-25 23:00"] == 1 and by_label["total"] == 3
    spring = example_tenants.json("report", "kpi", "-t", "voyages-lumiere", "--by", "hour",
                                  "--from", "2026-03-29", "--to", "2026-03-29")["rows"]
    assert len(spring) == 23 + 1 and "2026-03-29 02:00" not in {r["period"] for r in spring}
    days = example_tenants.json("report", "kpi", "-t", "voyages-lumiere", "--from", "2026-10-24", "--to", "2026-10-26")["rows"]
    assert [(r["period"], r["items"]) for r in days] == [("2026-10-24", 0), ("2026-10-25", 3), ("2026-10-26", 0),
                                                         ("total", 3)]


def test_no_row_for_days_that_have_not_begun_and_the_parameters_are_given(story):
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    ahead = (today + timedelta(days=5)).isoformat()
    report = story.json("report", "kpi", "-t", "voyages-lumiere", "--from", "2026-11-02", "--to", ahead)
    days = [r["period"] for r in report["rows"][:-1]]
    assert days[0] == "2026-11-02" and days[-1] == today.isoformat()  # nothing invented after today
    assert report["rows"][-1]["period"] == "total"
    assert report["report"] == "kpi" and report["parameters"]["tenant"] == "voyages-lumiere"
    assert report["parameters"]["by"] == "day" and report["parameters"]["timezone"] == "Europe/Paris"
    assert datetime.fromisoformat(report["parameters"]["from"]) == paris(2026, 11, 2, 0)


def test_the_table_fits_120_columns_and_wide_shows_everything(story):
    narrow = story("report", "kpi", "-t", "voyages-lumiere", *DAY1, "--format", "table")
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 120
    assert "more columns: --wide" in narrow.stderr
    wide = story("report", "kpi", "-t", "voyages-lumiere", *DAY1, "--format", "table", "--wide").stdout
    assert "callback_reach_pct" in wide and "callback_reach_pct" not in narrow.stdout
    assert len(wide.splitlines()[0]) > 120


def test_html_report_speaks_the_tenants_language(example_tenants, tmp_path):
    """voyages-lumiere is fr_FR: headings, cards and chart titles in French; the same page in English for en_GB."""
    from ccctl.reports.html import kpi_page

    page_file = tmp_path / "kpi.html"
    example_tenants("report", "kpi", "-t", "voyages-lumiere", *DAY1, "--html", str(page_file))
    html = page_file.read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and "<h1>Indicateurs · Voyages Lumière</h1>" in html
    assert "Délai respecté" in html and "Demandes créées par canal" in html and "<h2>Chiffres</h2>" in html
    assert "SLA met" not in html and "Backlog" not in html
    rows = [{"period": "total", "items": 0, "sla_pct": None, "first_response_median_min": None, "backlog": 0,
             "fcr_pct": None, "callback_reach_pct": None, "deflection_pct": None}]
    english = kpi_page("Acme", "p", "day", rows, ["period", "items"], "en_GB")
    assert '<html lang="en">' in english and "<h1>KPIs · Acme</h1>" in english and "SLA met" in english
