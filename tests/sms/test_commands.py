"""The CLI around the outbox: schedule input (good and bad), preview, status, sync, cancel, backends, hooks."""

from __future__ import annotations

import json

import pytest
import yaml

PHONE = "+33612345678"


def test_schedule_csv_with_data_columns_and_tenant_local_times(sms_env):
    csv_text = ("to,template,data.what,data.when,send_at,kind\n"
                "06 12 34 56 78,reminder,RDV,lundi,2030-01-07T09:00,transactional\n"
                "06 12 34 56 79,reminder,Visite,mardi,2030-01-08T09:00+00:00,\n")
    out = json.loads(sms_env.ccctl("sms", "schedule", "-", "-t", "sms-test", "--format", "json", input=csv_text).stdout)
    assert (out["queued"], out["already"]) == (2, 0)
    rows = {r["to"]: r for r in sms_env.outbox()}
    assert rows[PHONE]["body"] == "Rappel : RDV le lundi."
    assert rows[PHONE]["send_at"].startswith("2030-01-07T08:00")      # 09:00 in Paris, winter
    assert rows["+33612345679"]["send_at"].startswith("2030-01-08T09:00")
    # Without a key, the key is derived from the line: a re-run queues nothing new.
    again = json.loads(sms_env.ccctl("sms", "schedule", "-", "-t", "sms-test", "--format", "json", input=csv_text).stdout)
    assert (again["queued"], again["already"]) == (0, 2)
    assert sms_env.dispatch()["sent"] == 0   # not due yet


@pytest.mark.parametrize("text,message", [
    ('{"to": "0612345678", "body": "ok"}\n{"to": "0612", "body": "x"}\n', "<stdin>:2: '0612' is not a valid phone number"),
    ('{"to": "0612345678", "body": "ok"}\nnot json\n', "<stdin>:2: not valid JSON"),
    ('{"to": "0612345678"}\n', "<stdin>:1: give a template or a body"),
    ('{"to": "0612345678", "body": "x", "colour": "red"}\n', "<stdin>:1: unknown column 'colour'"),
    ('{"body": "x"}\n', "<stdin>:1: column 'to': required"),
    ('{"to": "0612345678", "body": "x", "send_at": "tomorrow"}\n', "<stdin>:1: column 'send_at': 'tomorrow'"),
    ('{"to": "0612345678", "body": "x", "kind": "spam"}\n', "kind must be one of"),
    ('{"to": "0612345678", "template": "reminder", "data": {"what": "x"}}\n', "'when' is undefined"),
    ('{"to": "0612345678", "template": "reminder", "data": [1]}\n', "column 'data': must be a JSON object"),
    ('to,body\n0612345678,a,extra\n', "<stdin>:2: more values than header columns"),
    ('phone,body\n0612345678,a\n', "<stdin>:1: the CSV header must name a 'to' column"),
    ('to,body,data\n0612345678,a,{bad\n', "<stdin>:2: column 'data': not valid JSON"),
    ('', "the file is empty"),
])
def test_schedule_bad_input_queues_nothing(sms_env, text, message):
    result = sms_env.ccctl("sms", "schedule", "-", "-t", "sms-test", input=text, code=2)
    assert message in result.stderr
    assert sms_env.outbox() == []


def test_schedule_dry_run_checks_without_queuing(sms_env):
    out = sms_env.ccctl.json("sms", "schedule", "-", "-t", "sms-test", "--dry-run",
                             input='{"to": "0612345678", "body": "x"}\n')
    assert out["queued"] == 1 and out["dry_run"] is True
    assert sms_env.outbox() == []


def test_preview_shows_segments(sms_env):
    out = sms_env.ccctl.json("sms", "preview", "-t", "sms-test", "--body", "Colis livré demain 🚚")
    assert (out["encoding"], out["segments"], out["non_gsm"]) == ("UCS-2", 1, "🚚")
    out = sms_env.ccctl.json("sms", "preview", "-t", "sms-test", "--template", "reminder", "--kind", "marketing",
                             "--data", '{"what": "Soldes", "when": "samedi"}')
    assert out["body"] == "Rappel : Soldes le samedi.\nSTOP au 36173" and out["encoding"] == "GSM-7"
    assert "not valid JSON" in sms_env.ccctl("sms", "preview", "--data", "{x", "--body", "b", code=2).stderr
    assert "JSON object" in sms_env.ccctl("sms", "preview", "--data", "[1]", "--body", "b", code=2).stderr


def test_status_sync_cancel(sms_env):
    sms_env.schedule([{"to": PHONE, "body": "a"}, {"to": "+33612345679", "body": "b"},
                      {"to": "+33612345670", "body": "later", "send_at": "2099-01-01T00:00:00Z"}])
    sms_env.dispatch()
    first = next(r for r in sms_env.outbox() if r["to"] == PHONE)
    sms_env.twilio.set_message_status(first["sid"], "delivered", callback=False)
    synced = sms_env.ccctl.json("sms", "sync", "-t", "sms-test")
    assert (synced["checked"], synced["changed"], synced["errors"]) == (2, 1, 0)
    report = sms_env.ccctl.json("sms", "status", "-t", "sms-test")
    assert {(r["state"], r["status"], r["messages"]) for r in report} == {
        ("sent", "delivered", 1), ("sent", "queued", 1), ("pending", None, 1)}
    later = next(r for r in sms_env.outbox() if r["body"] == "later")
    sms_env.ccctl("sms", "cancel", str(later["id"]), "-t", "sms-test")
    assert "only pending" in sms_env.ccctl("sms", "cancel", str(first["id"]), "-t", "sms-test", code=1).stderr
    assert "no SMS 9999" in sms_env.ccctl("sms", "cancel", "9999", "-t", "sms-test", code=1).stderr


def test_tenant_apply_errors_name_file_and_key(sms_env):
    result = sms_env.apply(code=2, quiet_hours=["25:00-26:00"])
    assert "sms-test.yaml" in result.stderr and "plugins.sms.quiet_hours" in result.stderr
    result = sms_env.apply(code=2, auth_token="plain-token")
    assert "sms-test.yaml:7: key 'plugins.sms.auth_token': secrets must not be written" in result.stderr


def test_file_backend_writes_and_reconciles(ccctl, tmp_path):
    out = tmp_path / "sent.jsonl"
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump({"tenant": "demo", "name": "Demo", "queues": [{"name": "q"}], "plugins": {
        "sms": {"enabled": True, "backend": "file", "file_path": str(out), "from": "Demo"}}}), encoding="utf-8")
    ccctl("tenant", "apply", "-f", str(path))
    ccctl("sms", "send", PHONE, "--body", "démo", "-t", "demo")
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert (line["to"], line["body"], line["from"]) == (PHONE, "démo", "Demo")


def test_console_backend_prints(ccctl, tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump({"tenant": "demo", "name": "Demo", "plugins": {"sms": {"enabled": True}}}))
    ccctl("tenant", "apply", "-f", str(path))
    result = ccctl("sms", "send", PHONE, "--body", "bonjour", "-t", "demo")
    assert "[sms dry run] to +33612345678" in result.stderr


def test_commands_refuse_a_tenant_without_sms(ccctl, example_tenants):
    # Cron commands (the shared rule, ccctl.cron): naming such a tenant is bad usage, exit 2.
    for args, code in ((["dispatch"], 2), (["sync"], 2), (["send", PHONE, "--body", "x"], 1), (["schedule", "-"], 1)):
        result = ccctl("sms", *args, "-t", "assurance-horizon", input='{"to": "0612345678", "body": "x"}\n', code=code)
        assert "does not enable the sms plugin" in result.stderr


def test_send_notification_hook_is_idempotent_and_tenant_scoped(sms_env, app, session):
    from ccctl.customers import add_customer
    from ccctl_sms.models import SmsMessage

    tenant = app.tenant(session, "sms-test")
    customer = add_customer(session, tenant, "Léa", phones=[PHONE])
    ctx = app.context(session, tenant)
    call = ctx.hook("ccctl_send_notification")
    first = call(to=PHONE, template="callback_confirmation", data={"name": "Léa", "slot": "lundi 10h"}, ctx=ctx,
                 kind="transactional", idempotency_key="cb-1", send_at=None)
    again = call(to=PHONE, template="callback_confirmation", data={"name": "Léa", "slot": "lundi 10h"}, ctx=ctx,
                 kind="transactional", idempotency_key="cb-1", send_at=None)
    session.commit()
    assert first == again
    row = session.get(SmsMessage, first)
    assert row.customer_id == customer.id and row.body.startswith("Bonjour Léa, votre rappel")
    sms_env.dispatch()
    timeline = sms_env.ccctl.json("customer", "show", str(customer.id), "-t", "sms-test")["timeline"]
    assert [(t["channel"], t["direction"]) for t in timeline] == [("sms", "out")]


def test_export_erase_and_merge(sms_env, app, session):
    from ccctl.customers import add_customer
    from ccctl.identity.merging import merge
    from ccctl_sms.privacy import erase, export

    tenant = app.tenant(session, "sms-test")
    lea = add_customer(session, tenant, "Léa", phones=[PHONE])
    other = add_customer(session, tenant, "Léa B", phones=["+33612345679"])
    session.commit()
    sms_env.schedule([{"to": PHONE, "body": "un"}, {"to": "+33612345679", "body": "deux"},
                      {"to": PHONE, "body": "plus tard", "send_at": "2099-01-01T00:00:00Z"}])
    sms_env.ccctl("sms", "opt-out", "+33612345679", "-t", "sms-test")
    ctx = app.context(session, tenant)
    merge(session, tenant, other.id, lea.id, ctx=ctx)
    session.commit()
    data = export(ctx, session.merge(lea))
    assert {m["body"] for m in data["sms_messages"]} == {"un", "deux", "plus tard"}
    erase(ctx, lea)
    erase(ctx, other)
    session.commit()
    rows = sms_env.outbox()
    assert {r["to"] for r in rows} == {"erased"} and {r["body"] for r in rows} == {""}
    assert {r["state"] for r in rows} == {"cancelled", "blocked"}
    assert sms_env.ccctl.json("sms", "opt-outs", "-t", "sms-test") == []


def test_auto_answer_replies_to_sms_items_only(sms_env, app, session):
    from ccctl.queue.items import create_item
    from ccctl_sms.models import SmsMessage

    tenant = app.tenant(session, "sms-test")
    ctx = app.context(session, tenant)
    sms_item, _ = create_item(ctx, "sms", body="horaires ?", attributes={"from": PHONE}, external_ref="SMx")
    mail_item, _ = create_item(ctx, "email", body="horaires ?", external_ref="<m@x>")
    answer = {"slug": "horaires", "title": "Nos horaires", "url": "https://aide.example/horaires", "text": "9h-18h"}
    call = ctx.hook("ccctl_auto_answer")
    assert call(item=sms_item, answer=answer, ctx=ctx) is True
    assert call(item=sms_item, answer=answer, ctx=ctx) is True      # the same item: still one message
    assert call(item=mail_item, answer=answer, ctx=ctx) is None
    session.commit()
    [row] = session.query(SmsMessage).all()
    assert (row.to_number, row.body) == (PHONE, "Nos horaires : https://aide.example/horaires")


def test_opt_out_blocks_pending_and_opt_in_allows_new_ones(sms_env):
    sms_env.schedule([{"to": PHONE, "body": "demain", "send_at": "2099-01-01T00:00:00Z"}])
    assert "opted out" in sms_env.ccctl("sms", "opt-out", "06 12 34 56 78", "-t", "sms-test").stderr
    assert "already" in sms_env.ccctl("sms", "opt-out", PHONE, "-t", "sms-test").stderr
    [row] = sms_env.outbox()
    assert row["state"] == "blocked"
    sms_env.ccctl("sms", "opt-in", PHONE, "-t", "sms-test")
    assert sms_env.outbox()[0]["state"] == "blocked"          # what was blocked stays blocked
    assert json.loads(sms_env.ccctl("sms", "send", PHONE, "--body", "ok", "--format", "json").stdout)["state"] == "sent"
    assert "not a valid phone number" in sms_env.ccctl("sms", "opt-out", "12", "-t", "sms-test", code=2).stderr


def test_dispatch_shows_progress_on_stderr(sms_env):
    sms_env.schedule([{"to": PHONE, "body": "x"}])
    result = sms_env.ccctl("sms", "dispatch", "--format", "json")
    assert "Sending SMS" in result.stderr and json.loads(result.stdout)["sent"] == 1


def test_status_callback_before_bookkeeping_marks_the_row_sent(sms_env, app, session):
    """Twilio's first callback can beat the dispatcher's own UPDATE: the attempt id proves it was accepted."""
    from sqlalchemy import select, update

    from ccctl_sms.models import SmsMessage
    from ccctl_sms.outbox import record_status

    sms_env.schedule([{"to": PHONE, "body": "x"}])
    session.execute(update(SmsMessage).values(state="sending", attempt_id="f" * 32, attempts=1))
    session.commit()
    tenant = app.tenant(session, "sms-test")
    [row_id] = session.scalars(select(SmsMessage.id)).all()
    assert record_status(session, tenant, "SM" + "9" * 32, "sent", outbox_id=row_id, attempt_id="e" * 32) is None
    row = record_status(session, tenant, "SM" + "9" * 32, "sent", outbox_id=row_id, attempt_id="f" * 32)
    session.commit()
    assert (row.state, row.provider_sid, row.delivery_status) == ("sent", "SM" + "9" * 32, "sent")



def test_send_bad_input(sms_env):
    assert "'tomorrow' is not a date-time" in sms_env.ccctl("sms", "send", PHONE, "--body", "x", "--at", "tomorrow",
                                                              code=2).stderr
    assert "give a template or a body" in sms_env.ccctl("sms", "send", PHONE, code=2).stderr
    assert "give a template or a body" in sms_env.ccctl("sms", "send", PHONE, "--body", "x", "--template", "reminder",
                                                        code=2).stderr
    assert "the message is empty" in sms_env.ccctl("sms", "send", PHONE, "--body", "   ", code=2).stderr
    assert "no SMS template 'nope'" in sms_env.ccctl("sms", "send", PHONE, "--template", "nope", code=2).stderr
    assert "longer than 200" in sms_env.ccctl("sms", "send", PHONE, "--body", "x", "--key", "k" * 201, code=2).stderr
    assert sms_env.outbox() == [] and sms_env.twilio.requests == []


def test_send_later_only_queues(sms_env):
    row = json.loads(sms_env.ccctl("sms", "send", PHONE, "--body", "x", "--at", "2099-06-01T09:00",
                                   "--format", "json").stdout)
    assert row["state"] == "pending" and row["send_at"].startswith("2099-06-01T07:00")   # Paris summer time
    assert sms_env.twilio.requests == []
