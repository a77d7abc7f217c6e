"""GDPR: a caller's calls and recordings are exported, and erased with the person (recordings at Twilio too)."""

from __future__ import annotations

from sqlalchemy import select

from conftest import CALLER, LUMIERE
from voice_helpers import call_row, calls_of, closed_hours_today


def test_export_then_erase_removes_calls_and_deletes_recordings_at_twilio(phone):
    from ccctl_voice.models import VoiceRecordingPurge

    phone.apply("lumiere", LUMIERE, extra=closed_hours_today())
    call = phone.sim.place_call(CALLER, LUMIERE)
    row = call_row(phone.app, call.sid)
    assert row.recording_sid in phone.sim.recordings
    exported = phone.ccctl.json("customer", "export", str(row.customer_id), "-t", "lumiere", "--actor", "dpo")
    calls = exported["customer"]["plugins"]["voice"]["voice_calls"]
    assert any(i["channel"] == "voice" for i in exported["interactions"])
    assert [(c["call_sid"], c["outcome"], c["recording_sid"]) for c in calls] == [
        (call.sid, "voicemail", row.recording_sid)]

    phone.ccctl("customer", "erase", str(row.customer_id), "-t", "lumiere", "--yes", "--actor", "dpo")
    assert calls_of(phone.app, "lumiere") == []
    assert row.recording_sid in phone.sim.recordings  # not yet: no network inside the erase transaction
    result = phone.ccctl.json("voice", "purge-recordings", "--all-tenants")
    assert result == [{"tenant": "horizon", "deleted": 0, "errors": 0}, {"tenant": "lumiere", "deleted": 1, "errors": 0}]
    assert row.recording_sid not in phone.sim.recordings
    with phone.app.session() as session:
        purge = session.scalar(select(VoiceRecordingPurge))
        assert purge.done_at is not None and purge.recording_sid == row.recording_sid
    assert phone.ccctl.json("voice", "purge-recordings", "-t", "lumiere") == [
        {"tenant": "lumiere", "deleted": 0, "errors": 0}]


def test_a_purge_that_fails_says_which_tenant_and_exits_1(phone, monkeypatch):
    from ccctl_voice.models import VoiceRecordingPurge

    from voice_helpers import tenant_id

    with phone.app.session() as session:
        session.add(VoiceRecordingPurge(tenant_id=tenant_id(phone.app, "lumiere"), recording_sid="RE" + "f" * 32))
        session.commit()
    monkeypatch.setenv("VOICE_TOKEN_LUMIERE", "wrong-token")
    result = phone.ccctl("voice", "purge-recordings", "--all-tenants", code=1)
    assert "tenant lumiere: recording RE" in result.stderr and "HTTP 401" in result.stderr
    assert "tenant(s) lumiere" in result.stderr
    with phone.app.session() as session:
        purge = session.scalar(select(VoiceRecordingPurge))
        assert purge.done_at is None and "401" in purge.last_error
