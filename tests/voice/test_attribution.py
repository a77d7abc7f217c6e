"""Partner attribution by phone: the site shows a code, the caller keys it at the menu."""

from __future__ import annotations

import httpx

from voice_helpers import CALLER, LUMIERE, MARIE
from voice_helpers import call_row, item


def web_code(phone, **query):
    answer = httpx.get(f"{phone.base}/t/lumiere/voice/web-code/new", params=query, timeout=10)
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    return answer.json()


def test_a_keyed_web_code_attributes_the_call_to_the_partner(phone):
    code = web_code(phone, ref="PARTNER7", page="https://voyages.example/lisbonne")
    assert code["key"] == "*" and len(code["code"]) == 6 and code["code"].isdigit()
    call = phone.sim.place_call(CALLER, LUMIERE, keys=[None, "*", code["code"], None], background=True).waiting()
    assert "Tapez le code affiché sur notre site." in call.heard("Say")
    row = call_row(phone.app, call.sid)
    assert (row.partner_code, row.attributes["page"]) == ("PARTNER7", "https://voyages.example/lisbonne")
    assert item(phone.app, row.item_id).attributes["partner_code"] == "PARTNER7"
    call.hang_up()
    call.finished()
    rows = phone.ccctl.json("report", "attribution", "-t", "lumiere")["rows"]
    partner = next(r for r in rows if r.get("code") == "PARTNER7")
    assert partner["phone"] == 1


def test_a_wrong_or_other_tenants_code_attributes_nothing(phone):
    other = httpx.get(f"{phone.base}/t/horizon/voice/web-code/new", params={"ref": "OTHER"}, timeout=10).json()
    call = phone.sim.place_call(CALLER, LUMIERE, keys=[None, "*", other["code"], None], background=True).waiting()
    assert "Ce code n'est pas reconnu." in call.heard("Say")
    assert call_row(phone.app, call.sid).partner_code is None
    call.hang_up()
    call.finished()


def test_the_page_reaches_the_screen_pop(phone):
    code = web_code(phone, ref="PARTNER7", page="https://voyages.example/lisbonne")
    phone.agent("marie", MARIE)
    call = phone.sim.place_call(CALLER, LUMIERE, keys=[None, "*", code["code"], None], answers={MARIE: "answer"},
                                background=True).waiting()
    phone.ccctl.json("queue", "next", "--agent", "marie")
    call.finished()
    card = phone.ccctl.json("voice", "pop", "--agent", "marie")
    assert card["page"] == "https://voyages.example/lisbonne"
