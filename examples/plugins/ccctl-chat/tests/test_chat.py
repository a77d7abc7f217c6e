"""ccctl-chat's tests, on the fixtures ccctl ships (ccctl.testing, loaded by pytest by itself).

``make_runner(("chat", ccctl_chat))`` and ``make_app(...)`` hold this plugin whether it is
pip-installed or not; ``tenant_file`` writes a tenant YAML; every test gets a fresh, migrated
database (SQLite, or PostgreSQL with CCCTL_TEST_DATABASE_URL); ``twilio_server`` is a
Twilio-compatible server on loopback for the SMS that ccctl's sms plugin sends for this one.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

import ccctl_chat
from ccctl.web.app import create_web_app

PLUGIN = ("chat", ccctl_chat)


@pytest.fixture
def ccctl(make_runner, tenant_file):
    """The CLI with this plugin, and two clients: client-a enables chat, client-b does not."""
    cli = make_runner(PLUGIN)
    cli("tenant", "apply", "-f", tenant_file("client-a", plugins={"chat": {"enabled": True, "queue": "web"}},
                                             queues=[{"name": "general"}, {"name": "web", "sla": "1h"}]))
    cli("tenant", "apply", "-f", tenant_file("client-b"))
    return cli


def test_a_message_opens_a_conversation_and_the_next_one_joins_it(ccctl):
    first = ccctl.json("chat", "receive", "Lea@Example.fr", "Mon colis n'est pas arrivé", "-t", "client-a")
    again = ccctl.json("chat", "receive", "lea@example.fr", "Commande 4711", "-t", "client-a")
    assert first["new_conversation"] is True and again["new_conversation"] is False
    assert again["item"] == first["item"] and again["customer"] == first["customer"]
    item = ccctl.json("item", "show", first["item"], "-t", "client-a")
    assert item["channel"] == "chat" and item["queue"] == "web"   # the tenant's chat.queue
    listed = ccctl.json("chat", "list", "-t", "client-a")
    assert [m["text"] for m in listed] == ["Commande 4711", "Mon colis n'est pas arrivé"]
    assert {m["visitor"] for m in listed} == {"lea@example.fr"}
    shown = ccctl.json("customer", "show", first["customer"], "-t", "client-a")
    assert sum(1 for event in shown["timeline"] if event["channel"] == "chat") == 2


@pytest.mark.parametrize("args,code,said", [
    (["not-an-address", "Bonjour"], 2, "'not-an-address' is not an email address"),
    (["lea@example.fr", "   "], 2, "the message is empty"),
    (["lea@example.fr", "x" * 2001], 2, "the limit is 2000"),
])
def test_bad_messages_are_refused_and_nothing_is_stored(ccctl, args, code, said):
    assert said in ccctl("chat", "receive", *args, "-t", "client-a", code=code).stderr
    assert ccctl.json("chat", "list", "-t", "client-a") == []
    assert ccctl.json("queue", "list", "-t", "client-a") == [] or all(
        q["open"] == 0 for q in ccctl.json("queue", "list", "-t", "client-a"))


def test_a_tenant_without_the_plugin_is_refused_by_name(ccctl):
    refused = ccctl("chat", "receive", "lea@example.fr", "Bonjour", "-t", "client-b", code=1).stderr
    assert "the chat plugin is not enabled for client-b" in refused and "Traceback" not in refused


def test_closing_the_item_closes_the_conversation(ccctl):
    first = ccctl.json("chat", "receive", "lea@example.fr", "Bonjour", "-t", "client-a")
    ccctl("agent", "add", "marie", "--serves", "client-a")
    ccctl("item", "close", first["item"], "--outcome", "resolved", "--agent", "marie", "-t", "client-a")  # the hook
    assert all(m["closed"] for m in ccctl.json("chat", "list", "-t", "client-a"))
    later = ccctl.json("chat", "receive", "lea@example.fr", "Encore moi", "-t", "client-a")
    assert later["new_conversation"] is True and later["item"] != first["item"]


def test_export_and_erasure_reach_the_plugins_rows(ccctl):
    first = ccctl.json("chat", "receive", "lea@example.fr", "Mon adresse: 3 rue des Lilas", "-t", "client-a")
    exported = ccctl.json("customer", "export", first["customer"], "-t", "client-a")
    assert exported["customer"]["plugins"]["chat"]["messages"][0]["text"] == "Mon adresse: 3 rue des Lilas"
    ccctl("customer", "erase", first["customer"], "--yes", "-t", "client-a")
    assert ccctl.json("chat", "list", "-t", "client-a") == []


def test_the_web_route_takes_json_for_tenants_that_enable_the_plugin(ccctl, make_app):
    app = make_app(PLUGIN)
    with TestClient(create_web_app(app)) as web:
        url = "/t/client-a/chat/messages"
        opened = web.post(url, json={"visitor": "lea@example.fr", "text": "Bonjour"})
        assert opened.status_code == 201 and opened.json()["new_conversation"] is True
        joined = web.post(url, json={"visitor": "lea@example.fr", "text": "Vous êtes là ?"})
        assert joined.status_code == 200 and joined.json()["item"] == opened.json()["item"]
        assert web.post(url, json={"visitor": "lea"}).status_code == 400
        assert web.post(url, content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
        bad = web.post(url, json={"visitor": "nobody", "text": "x"})
        assert bad.status_code == 400 and "not an email address" in bad.text
        assert web.post("/t/client-b/chat/messages", json={"visitor": "a@b.fr", "text": "x"}).status_code == 404
    assert len(ccctl.json("chat", "list", "-t", "client-a")) == 2


def test_a_new_conversation_texts_the_team_through_the_sms_plugin(make_runner, tenant_file, twilio_server,
                                                                   monkeypatch):
    monkeypatch.setenv("CHAT_TEST_TWILIO_TOKEN", twilio_server.auth_token)
    sms = {"enabled": True, "account_sid": twilio_server.account_sid, "auth_token": "${CHAT_TEST_TWILIO_TOKEN}",
           "from": "+33757000001", "api_url": twilio_server.url,
           "templates": {"chat_alert": {"fr": "Nouveau chat de {{ visitor }} : {{ text }}"}}}
    cli = make_runner(PLUGIN)
    cli("tenant", "apply", "-f", tenant_file("client-c", plugins={"chat": {"enabled": True, "alert_sms": "+33612345678"},
                                                                  "sms": sms}))
    first = cli.json("chat", "receive", "lea@example.fr", "Bonjour", "-t", "client-c")
    cli.json("chat", "receive", "lea@example.fr", "Vous êtes là ?", "-t", "client-c")   # same conversation
    assert twilio_server.created_messages() == []        # queued in the sms outbox, not sent while receiving
    cli("sms", "dispatch", "--linger", "0", "-t", "client-c")
    sent = twilio_server.created_messages()
    assert [(m["to"], m["from"], m["body"]) for m in sent] == [
        ("+33612345678", "+33757000001", "Nouveau chat de lea@example.fr : Bonjour")]   # one per conversation
    assert twilio_server.contract_problems() == []       # the request, as Twilio's OpenAPI description has it
    assert first["new_conversation"] is True


def test_an_alert_no_plugin_can_send_refuses_the_message_by_tenant(make_runner, tenant_file):
    cli = make_runner(PLUGIN)
    cli("tenant", "apply", "-f", tenant_file("client-d", plugins={"chat": {"enabled": True, "alert_sms": "+33612345678"},
                                                                  "sms": False}))
    refused = cli("chat", "receive", "lea@example.fr", "Bonjour", "-t", "client-d", code=1).stderr
    assert "client-d sets chat.alert_sms but no plugin sends its notifications" in refused
    assert cli.json("chat", "list", "-t", "client-d") == []                  # nothing half-stored
    bad = cli("tenant", "apply", "-f", tenant_file("client-e", plugins={"chat": {"alert_sms": "0612"}}), code=2).stderr
    assert "alert_sms" in bad
