"""ccctl report attribution: codes from item attributes or interaction payloads, each contact once."""

import pytest

from reports.report_helpers import add_interaction, add_item, paris

PERIOD = ("-t", "voyages-lumiere", "--from", "2026-11-01", "--to", "2026-11-30")


@pytest.fixture
def referred(example_tenants, app):
    with app.session() as s:
        t = app.tenant(s, "voyages-lumiere")
        day = paris(2026, 11, 10, 10)
        # Web form with a code, converted; its two interactions carry the code too: counted once.
        web = add_item(s, t, "selfhelp", created=day, closed=day, outcome="booked", attributes={"referral": "blog24"})
        add_interaction(s, t, "selfhelp", at=day, item=web, payload={"referral": "BLOG24"})
        add_interaction(s, t, "email", at=day, item=web, direction="out", payload={"referral": "BLOG24"})
        add_item(s, t, "email", created=day, attributes={"partner": "Comparateur"})  # open: no conversion
        add_item(s, t, "email", created=day, closed=day, outcome="sale", attributes={"partner_code": "comparateur"})
        # A call-back whose code only its interaction holds; it converted.
        phone = add_item(s, t, "callback", created=day, closed=day, outcome="booked")
        add_interaction(s, t, "callback", at=day, item=phone, payload={"ref": "blog24"})
        add_interaction(s, t, "sms", at=day, payload={"referral": "blog24"})  # no item: a contact of its own
        add_item(s, t, "email", created=day, closed=day, outcome="resolved")  # no code
        add_item(s, t, "email", created=paris(2026, 12, 2, 10), attributes={"referral": "blog24"})  # out of period
        other = app.tenant(s, "assurance-horizon")
        add_item(s, other, "email", queue="sinistres", created=day, attributes={"referral": "blog24"})
        s.commit()
    return example_tenants


def test_contacts_and_conversions_per_code(referred):
    rows = referred.json("report", "attribution", *PERIOD)["rows"]
    assert rows == [
        {"code": "BLOG24", "contacts": 3, "web": 1, "email": 0, "phone": 2, "other": 0, "conversions": 2,
         "conversion_pct": 66.7},
        {"code": "COMPARATEUR", "contacts": 2, "web": 0, "email": 2, "phone": 0, "other": 0, "conversions": 1,
         "conversion_pct": 50.0},
    ]


def test_conversion_outcomes_option(referred):
    rows = referred.json("report", "attribution", *PERIOD, "--outcome", "sale")["rows"]
    assert {r["code"]: r["conversions"] for r in rows} == {"BLOG24": 0, "COMPARATEUR": 1}


def test_bad_period(referred):
    result = referred("report", "attribution", "-t", "voyages-lumiere", "--from", "2026-12-01", "--to",
                      "2026-11-01", code=2)
    assert "is after --to" in result.stderr
