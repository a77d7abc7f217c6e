"""Calls end to end: the simulator places signed calls to a live `ccctl serve` and runs its TwiML."""

from __future__ import annotations

from voice_helpers import CALLER, HORIZON, LUMIERE, MARIE, PAUL
from voice_helpers import call_row, calls_of, history, item, make_case, write_tenant


def case_number(phone, item_id, slug="lumiere"):
    return phone.ccctl.json("voice", "case-number", str(item_id), "-t", slug)["case_number"]


def claim_case(phone, agent, case_id):
    claimed = phone.ccctl.json("queue", "next", "--agent", agent, "-t", "lumiere")
    assert claimed["id"] == case_id


def test_case_number_rings_the_owner_who_answers(phone):
    case_id, customer_id = make_case(phone.app, "lumiere", CALLER)
    phone.agent("marie", MARIE)
    claim_case(phone, "marie", case_id)
    digits = case_number(phone, case_id)

    call = phone.sim.place_call(CALLER, LUMIERE, keys=[digits], answers={MARIE: "answer"}, talk_seconds=95)

    assert call.dialled == [(MARIE, "answer")]
    assert call.whispers[0] == "Appel de Alice Martin."
    assert call.whispers[1] == "Dossier " + " ".join(digits) + "."
    row = call_row(phone.app, call.sid)
    assert (row.outcome, row.state, row.agent, row.case_item_id, row.talk_seconds) == (
        "answered", "ended", "marie", case_id, 95)
    assert row.customer_id == customer_id  # the caller matched by From
    voice_item = item(phone.app, row.item_id)
    assert (voice_item.channel, voice_item.queue, voice_item.state, voice_item.claimed_by) == (
        "voice", "reservations", "claimed", "marie")
    steps = [i.payload.get("step") for i in history(phone.app, customer_id) if i.channel == "voice"]
    assert steps[:3] == ["incoming", "case", "ringing-marie"] and "answered" in steps and steps[-1] == "ended"
    marie = phone.ccctl.json("agent", "list")[0]
    assert (marie["state"], marie["holding"]) == ("available", 2)  # back from the call; holds case + call


def test_unknown_caller_becomes_a_customer_and_no_digits_lead_to_the_menu_then_the_queue(phone):
    call = phone.sim.place_call("+33622222222", LUMIERE, keys=[None, None], background=True)
    call.waiting()
    row = call_row(phone.app, call.sid)
    assert (row.state, row.queue) == ("queued", "accueil")
    assert row.queue_sid and row.queue_sid.startswith("QU")
    said = " ".join(call.heard())
    assert "numéro de dossier" in said and "réservations, tapez 1" in said and "position 1" in said
    call.hang_up()
    call.finished()
    row = call_row(phone.app, call.sid)
    assert (row.outcome, row.state) == ("abandoned", "ended") and row.wait_seconds is not None
    assert item(phone.app, row.item_id).outcome == "abandoned"
    found = phone.ccctl.json("customer", "find", "+33622222222", "-t", "lumiere")
    assert len(found) == 1


def test_menu_choice_queues_for_that_queue(phone):
    call = phone.sim.place_call(CALLER, LUMIERE, keys=[None, "1"], background=True).waiting()
    row = call_row(phone.app, call.sid)
    assert (row.queue, item(phone.app, row.item_id).skills) == ("reservations", ["booking"])
    call.hang_up()
    call.finished()


def test_owner_busy_call_waits_sticky_then_another_agent_takes_it_with_queue_next(phone):
    from datetime import timedelta

    from sqlalchemy import update

    from ccctl.db.models import WorkItem, utcnow

    case_id, _ = make_case(phone.app, "lumiere", CALLER)
    phone.agent("marie", MARIE)
    phone.agent("paul", PAUL)
    claim_case(phone, "marie", case_id)
    phone.ccctl("agent", "set", "marie", "--state", "on-call", "--reason", "another call")

    call = phone.sim.place_call(CALLER, LUMIERE, keys=[case_number(phone, case_id)], answers={PAUL: "answer"},
                                background=True).waiting()
    row = call_row(phone.app, call.sid)
    waiting = item(phone.app, row.item_id)
    assert (waiting.state, waiting.reserved_for, waiting.priority) == ("open", "marie", 15)  # 5 + boost 10
    result = phone.ccctl("queue", "next", "--agent", "paul")
    assert result.stdout == "" and "nothing open" in result.stderr  # kept for marie a while

    with phone.app.session() as session:  # the sticky time runs out (a write first: the server polls meanwhile)
        session.execute(update(WorkItem).where(WorkItem.id == waiting.id)
                        .values(reserved_until=utcnow() - timedelta(seconds=1)))
        session.commit()
    claimed = phone.ccctl.json("queue", "next", "--agent", "paul")
    assert claimed["id"] == waiting.id and claimed["call"]["ringing"] == PAUL
    call.finished()
    assert call.dialled == [(PAUL, "answer")]
    row = call_row(phone.app, call.sid)
    assert (row.outcome, row.agent) == ("answered", "paul") and row.wait_seconds is not None
    dequeues = [r for r in phone.sim.requests if "/Members/" in r.path]
    assert [(r.method, r.status, f"/t/lumiere/voice/connect?call={row.id}&n=" in r.params["Url"])
            for r in dequeues] == [("POST", 200, True)]


def test_owner_who_does_not_answer_is_paused_and_the_call_waits_for_them(phone):
    case_id, _ = make_case(phone.app, "lumiere", CALLER)
    phone.agent("marie", MARIE)
    claim_case(phone, "marie", case_id)
    call = phone.sim.place_call(CALLER, LUMIERE, keys=[case_number(phone, case_id)],
                                answers={MARIE: "no-answer"}, background=True).waiting()
    assert call.dialled == [(MARIE, "no-answer")]
    row = call_row(phone.app, call.sid)
    waiting = item(phone.app, row.item_id)
    assert (waiting.state, waiting.claimed_by, waiting.reserved_for) == ("open", None, "marie")
    marie = phone.ccctl.json("agent", "list")[0]
    assert (marie["state"], marie["holding"]) == ("paused", 1)  # the call's claim was released
    assert marie["state_reason"].startswith("missed a call")
    call.hang_up()
    call.finished()


def test_invalid_case_number_goes_to_the_menu(phone):
    call = phone.sim.place_call(CALLER, LUMIERE, keys=["1234567", None], background=True).waiting()
    assert "Ce numéro de dossier n'est pas reconnu." in call.heard("Say")
    assert call_row(phone.app, call.sid).case_item_id is None
    call.hang_up()
    call.finished()


def test_press_1_books_a_callback_that_keeps_the_place_in_the_queue(phone):
    from ccctl.db.models import WorkItem
    from sqlalchemy import select

    call = phone.sim.place_call(CALLER, LUMIERE, keys=[None, None], background=True).waiting()
    queued_at = call_row(phone.app, call.sid).queued_at
    # Someone asks for a call-back on the web after the caller entered the queue.
    later = phone.ccctl.json("callback", "request", "--phone", "+33633333333", "--now", "-t", "lumiere")
    call.press("1")
    call.finished()
    assert "C'est noté, nous vous rappellerons. Au revoir." in call.heard("Say")
    row = call_row(phone.app, call.sid)
    assert row.outcome == "callback" and item(phone.app, row.item_id).outcome == "callback-requested"
    booked = item(phone.app, row.attributes["callback_item_id"])
    assert (booked.channel, booked.queue, booked.due_at) == ("callback", "rappels", queued_at)
    with phone.app.session() as session:
        order = list(session.scalars(select(WorkItem.id).where(WorkItem.queue == "rappels")
                                     .order_by(WorkItem.priority.desc(), WorkItem.due_at, WorkItem.id)))
    assert order == [booked.id, later["item"]]


def test_out_of_hours_call_leaves_a_voicemail_item(phone):
    from voice_helpers import closed_hours_today

    phone.apply("lumiere", LUMIERE, extra=closed_hours_today())
    call = phone.sim.place_call(CALLER, LUMIERE, message_seconds=12)
    assert call.heard("Say")[:2] == ["Nos bureaux sont fermés.", "Laissez-nous un message après le bip."]
    row = call_row(phone.app, call.sid)
    assert (row.outcome, row.recording_seconds) == ("voicemail", 12)
    assert row.recording_url.startswith(phone.sim.url)
    voicemail = item(phone.app, row.item_id)
    assert (voicemail.channel, voicemail.state, voicemail.attributes["recording_url"]) == (
        "voice", "open", row.recording_url)


def test_a_forged_signature_gets_403_and_nothing_is_recorded(phone):
    from ccctl.db.models import Customer, Interaction
    from sqlalchemy import func, select

    line = phone.sim.lines[LUMIERE]
    params = {"AccountSid": line.account_sid, "CallSid": "CA" + "0" * 32, "From": CALLER, "To": LUMIERE,
              "CallStatus": "ringing", "Direction": "inbound"}
    status, _ = phone.sim.post_webhook(f"{line.base}/incoming", params, signature="Zm9yZ2Vk")
    assert status == 403
    other_token = phone.accounts["horizon"][1]  # signed, but with another client's token
    status, _ = phone.sim.post_webhook(f"{line.base}/incoming", params, auth_token=other_token)
    assert status == 403
    assert calls_of(phone.app, "lumiere") == []
    with phone.app.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
        assert session.scalar(select(func.count()).select_from(Interaction)) == 0


def test_two_tenants_on_two_numbers_never_see_each_others_calls(phone):
    phone.agent("paul", PAUL, serves="horizon")
    first = phone.sim.place_call(CALLER, LUMIERE, keys=[None, None], background=True).waiting()
    second = phone.sim.place_call(CALLER, HORIZON, keys=[None, None], background=True).waiting()
    assert [c.call_sid for c in calls_of(phone.app, "lumiere")] == [first.sid]
    assert [c.call_sid for c in calls_of(phone.app, "horizon")] == [second.sid]
    lumiere_customer = call_row(phone.app, first.sid).customer_id
    assert call_row(phone.app, second.sid).customer_id != lumiere_customer  # one customer per client
    # paul serves horizon only: he is handed horizon's call, never lumiere's.
    claimed = phone.ccctl.json("queue", "next", "--agent", "paul")
    assert claimed["tenant"] == "horizon" and claimed["attributes"]["call_sid"] == second.sid
    second.finished()
    assert phone.ccctl("queue", "next", "--agent", "paul").stdout == ""
    # lumiere's URL with horizon's number (a misconfigured console) is refused, nothing stored.
    line = phone.sim.lines[LUMIERE]
    params = {"AccountSid": line.account_sid, "CallSid": "CA" + "1" * 32, "From": CALLER, "To": HORIZON,
              "CallStatus": "ringing", "Direction": "inbound"}
    status, _ = phone.sim.post_webhook(f"{line.base}/incoming", params, auth_token=line.auth_token)
    assert status == 404
    assert len(calls_of(phone.app, "lumiere")) == 1
    first.hang_up()
    first.finished()


def test_out_of_hours_callback_offer_books_the_first_free_slot(phone):
    from voice_helpers import closed_hours_today

    phone.apply("lumiere", LUMIERE, extra=closed_hours_today() + "    out_of_hours: callback\n")
    call = phone.sim.place_call(CALLER, LUMIERE, keys=["1"])
    assert "Pour être rappelé dès notre ouverture, tapez 1." in call.heard("Say")
    assert call.heard("Say")[-1] == "C'est noté, nous vous rappellerons. Au revoir."
    row = call_row(phone.app, call.sid)
    booked = phone.ccctl.json("callback", "list", "-t", "lumiere")
    assert row.outcome == "callback" and len(booked) == 1 and booked[0]["slot"] is not None
    # No key: the voicemail, as without the offer.
    other = phone.sim.place_call("+33644444444", LUMIERE, keys=[None])
    assert call_row(phone.app, other.sid).outcome == "voicemail"


def test_an_unset_auth_token_gets_403_and_a_log_line_naming_the_tenant_and_the_variable(
        db_url, app, ccctl, tmp_path, monkeypatch, caplog):
    """The token's variable missing from the server's environment: every webhook is refused (403,
    nothing stored), and the log says which tenant and which variable, as the callback routes do."""
    import logging

    from ccctl.context import App
    from ccctl.plugins import get_plugin_manager
    from ccctl.testing.server import threaded_server
    from ccctl.web.app import create_web_app
    from ccctl.web.settings import WebSettings
    from support.twilio_voice import VoiceSimulator

    monkeypatch.delenv("VOICE_TOKEN_UNSET", raising=False)
    with VoiceSimulator() as sim:
        account_sid, token = sim.add_account()
        write_tenant(tmp_path, "lumiere", LUMIERE, account_sid, "VOICE_TOKEN_UNSET", sim.url, "http://127.0.0.1:9")
        ccctl("tenant", "apply", "-f", str(tmp_path / "lumiere.yaml"))
        web = create_web_app(App(get_plugin_manager(), db_url), WebSettings(rate_limit=0))
        with threaded_server(web) as base, caplog.at_level(logging.WARNING, logger="ccctl.voice"):
            line = sim.add_number(LUMIERE, str(base), "lumiere", account_sid)
            params = {"AccountSid": account_sid, "CallSid": "CA" + "2" * 32, "From": CALLER, "To": LUMIERE,
                      "CallStatus": "ringing", "Direction": "inbound"}
            status, body = sim.post_webhook(f"{line.base}/incoming", params, auth_token=token)
    assert status == 403, body
    assert calls_of(app, "lumiere") == []
    lines = [r.getMessage() for r in caplog.records if r.name == "ccctl.voice"]
    assert any("lumiere" in line and "VOICE_TOKEN_UNSET" in line for line in lines), lines


def test_waiting_callers_hear_their_place_in_the_claim_order_and_the_expected_wait(phone):
    """Position = callers ahead in ccctl's claim order (priority, then due time) + 1; expected wait =
    position x seconds_per_caller (no call measured yet) / agents at work (none: 1), in minutes."""
    first = phone.sim.place_call(CALLER, LUMIERE, keys=[None, None], background=True).waiting()
    second = phone.sim.place_call("+33622222222", LUMIERE, keys=[None, None], background=True).waiting()
    assert "Vous êtes en position 1. Attente estimée : 2 minutes." in first.heard("Say")
    assert "Vous êtes en position 2. Attente estimée : 4 minutes." in second.heard("Say")
    # A caller who keyed 1 (queue reservations) waits in another queue: first there.
    third = phone.sim.place_call("+33633333333", LUMIERE, keys=[None, "1"], background=True).waiting()
    assert "Vous êtes en position 1. Attente estimée : 2 minutes." in third.heard("Say")
    for call in (first, second, third):
        call.hang_up()
        call.finished()
