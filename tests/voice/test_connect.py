"""`queue next` hands a waiting call to an agent: what happens when it cannot be put through."""

from __future__ import annotations

from voice_helpers import CALLER, LUMIERE, PAUL
from voice_helpers import call_row, item


def test_an_agent_without_phone_gets_an_error_and_the_call_stays_queued(phone):
    phone.agent("lea", None)
    call = phone.sim.place_call(CALLER, LUMIERE, keys=[None, None], background=True).waiting()
    result = phone.ccctl("queue", "next", "--agent", "lea", code=1)
    assert "tenant lumiere" in result.stderr and "has no phone" in result.stderr
    row = call_row(phone.app, call.sid)
    assert (row.state, item(phone.app, row.item_id).state) == ("queued", "open")
    assert phone.ccctl.json("agent", "list")[0]["holding"] == 0
    call.hang_up()
    call.finished()


def test_twilio_failing_to_dequeue_puts_the_item_back_then_the_next_claim_connects(phone):
    phone.agent("paul", PAUL)
    call = phone.sim.place_call(CALLER, LUMIERE, keys=[None, None], answers={PAUL: "answer"},
                                background=True).waiting()
    phone.sim.member_failures.append(503)
    result = phone.ccctl("queue", "next", "--agent", "paul", code=1)
    assert "Twilio refused" in result.stderr and "back in the queue" in result.stderr
    row = call_row(phone.app, call.sid)
    assert (row.state, item(phone.app, row.item_id).state) == ("queued", "open")
    assert phone.ccctl.json("queue", "next", "--agent", "paul")["call"]["ringing"] == PAUL
    call.finished()
    assert call_row(phone.app, call.sid).outcome == "answered"


def test_a_caller_who_hangs_up_is_not_handed_to_anyone(phone):
    phone.agent("paul", PAUL)
    call = phone.sim.place_call(CALLER, LUMIERE, keys=[None, None], background=True).waiting()
    call.hang_up()
    call.finished()
    result = phone.ccctl("queue", "next", "--agent", "paul")
    assert result.stdout == ""
    row = call_row(phone.app, call.sid)
    assert (row.outcome, item(phone.app, row.item_id).state) == ("abandoned", "closed")
