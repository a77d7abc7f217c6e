"""SMS segments on the invoice: the sms plugin reports what the provider accepted, per tenant and month.

Messages go through the real dispatcher and the Twilio test server; provider statuses come back
as signed callbacks to the real web app. Only ``sent_at`` is then set to fixed dates (as if the
messages had been sent on those days) so that month boundaries are tested in the tenant's zone.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from ccctl.db.models import Interaction

PARIS = ZoneInfo("Europe/Paris")
CUSTOMER = "+33612345678"
GSM_200 = "Votre dossier est complet. " * 7 + "Merci !"    # 196 GSM-7 characters: 2 segments
GSM_400 = "Rendez-vous confirmé au guichet. " * 12        # 396 GSM-7 characters: 3 segments
UCS_240 = "Votre dossier est prêt. " * 10                 # 'ê' is not GSM-7: UCS-2, 240 characters: 4 segments
BILLING = {"currency": "EUR", "per_sms_segment": "0.05"}


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def billed(sms_env, app):
    """Tenants 'sms-test' and 'autre', both billed, status callbacks into the real web app."""
    from support.live_server import threaded_server

    from ccctl.web.app import create_web_app

    with threaded_server(create_web_app(app)) as base:
        for slug in ("sms-test", "autre"):
            sms_env.apply(slug, status_callback_url=f"{base}/t/{slug}/sms/status")
            path = sms_env.tmp_path / f"{slug}.yaml"  # the file apply wrote: add the rates to it
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            path.write_text(yaml.safe_dump({**doc, "billing": BILLING}, allow_unicode=True), encoding="utf-8")
            sms_env.ccctl("tenant", "apply", "-f", str(path))
        yield sms_env


def send(env, to: str, body: str, slug: str = "sms-test", **kw) -> dict:
    args = ["sms", "send", to, "--body", body, "-t", slug, "--format", "json"]
    return json.loads(env.ccctl(*args, **kw).stdout)


def move_sent_at(app, when: dict[int, datetime]) -> None:
    from ccctl_sms.models import SmsMessage

    with app.session() as s:
        for row_id, at in when.items():
            s.get(SmsMessage, row_id).sent_at = at
        s.commit()


def invoice(env, month: str, slug: str) -> dict[str, dict]:
    rows = env.ccctl.json("report", "billing", "--month", month, "-t", slug)["rows"]
    return {r["line"]: r for r in rows}


def test_accepted_segments_of_the_month_are_invoiced_per_tenant(billed, app):
    env = billed
    env.ccctl("customer", "add", "Élodie Martin", "--phone", CUSTOMER, "-t", "sms-test")
    short = send(env, CUSTOMER, "Votre commande est prête.")
    long = send(env, CUSTOMER, GSM_200)
    dropped = send(env, "+33612340010", GSM_400)      # accepted, then the provider reports it failed
    october = send(env, "+33612340011", GSM_400)
    december = send(env, "+33612340012", GSM_200)
    env.twilio.number_errors["+33612340013"] = 21211
    refused = send(env, "+33612340013", GSM_400, code=1)  # refused by the provider: never accepted
    september = send(env, "+33612340014", GSM_400)
    other = send(env, "+33612340015", UCS_240, slug="autre")
    assert (short["segments"], long["segments"], dropped["segments"], other["segments"]) == (1, 2, 3, 4)
    assert refused["state"] == "failed" and {short["state"], long["state"], dropped["state"]} == {"sent"}

    assert env.twilio.set_message_status(long["sid"], "undelivered", error_code=30003)[0] == 200  # sent: charged
    assert env.twilio.set_message_status(dropped["sid"], "failed", error_code=30008)[0] == 200
    move_sent_at(app, {short["id"]: paris(2026, 11, 1, 0, 30), long["id"]: paris(2026, 11, 30, 23, 30),
                       dropped["id"]: paris(2026, 11, 10, 9), other["id"]: paris(2026, 11, 10, 9),
                       october["id"]: paris(2026, 10, 31, 23, 30),   # 22:30 UTC: October in Paris
                       december["id"]: paris(2026, 12, 1, 0, 30),    # 23:30 UTC on 30 Nov: December
                       september["id"]: paris(2026, 9, 15, 12)})

    lines = invoice(env, "2026-11", "sms-test")
    assert lines["SMS segments"] == {"tenant": "sms-test", "line": "SMS segments", "quantity": "3",
                                     "unit_price": "0.05", "amount": "0.15", "currency": "EUR"}
    assert lines["total"]["amount"] == "0.15"
    assert invoice(env, "2026-10", "sms-test")["SMS segments"]["quantity"] == "3"
    assert invoice(env, "2026-12", "sms-test")["SMS segments"]["quantity"] == "2"
    assert invoice(env, "2026-09", "sms-test")["SMS segments"]["quantity"] == "3"
    theirs = invoice(env, "2026-11", "autre")
    assert theirs["SMS segments"]["quantity"] == "4" and theirs["total"]["amount"] == "0.20"
    assert "SMS segments" not in invoice(env, "2026-08", "sms-test")

    # The history shows each outbound message with its segments (the report's fallback source).
    with app.session() as s:
        payloads = sorted(p["segments"] for p in s.scalars(select(Interaction.payload).where(
            Interaction.channel == "sms", Interaction.direction == "out")))
    assert payloads == [1, 2]


def test_cancelled_and_blocked_messages_bill_nothing(billed, app):
    env = billed
    env.schedule([{"to": "+33612340020", "body": GSM_400, "send_at": "2030-01-01T09:00:00+01:00", "key": "k1"}])
    [row] = env.outbox()
    env.ccctl("sms", "cancel", str(row["id"]), "-t", "sms-test")
    env.ccctl("sms", "opt-out", "+33612340021", "-t", "sms-test")
    blocked = send(env, "+33612340021", GSM_400, code=1)
    accepted = send(env, "+33612340022", "Bonjour")
    assert {r["id"]: r["state"] for r in env.outbox()} == {
        row["id"]: "cancelled", blocked["id"]: "blocked", accepted["id"]: "sent"}
    assert len(env.twilio.created_messages()) == 1
    with app.session() as s:  # the month the message went in, in the tenant's zone
        from ccctl_sms.models import SmsMessage

        month = s.get(SmsMessage, accepted["id"]).sent_at.astimezone(PARIS).strftime("%Y-%m")
    assert invoice(env, month, "sms-test")["SMS segments"]["quantity"] == "1"


def test_plugin_report_wins_over_history_and_counts_no_duplicate(billed, app):
    """Outbound history entries carry segments too: the report must not add them to the plugin's count."""
    env = billed
    env.ccctl("customer", "add", "Élodie Martin", "--phone", CUSTOMER, "-t", "sms-test")
    sent = send(env, CUSTOMER, GSM_200)
    with app.session() as s:
        when = s.scalar(select(Interaction.occurred_at).where(Interaction.channel == "sms"))
    move_sent_at(app, {sent["id"]: when})
    month = when.astimezone(PARIS).strftime("%Y-%m")
    assert invoice(env, month, "sms-test")["SMS segments"]["quantity"] == "2"
