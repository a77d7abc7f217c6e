"""GDPR: a caller's calls and recordings are exported, and erased with the person (recordings at Twilio too)."""

from __future__ import annotations

from sqlalchemy import select

from voice_helpers import CALLER, LUMIERE
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


def test_retention_deletes_old_calls_and_queues_their_recordings(phone):
    from datetime import timedelta

    from ccctl.db.models import utcnow
    from ccctl_voice.models import VoiceCall, VoiceRecordingPurge

    phone.apply("lumiere", LUMIERE, extra=closed_hours_today())
    old = phone.sim.place_call(CALLER, LUMIERE)
    recent = phone.sim.place_call("+33644444444", LUMIERE)
    with phone.app.session() as session:
        session.scalar(select(VoiceCall).where(VoiceCall.call_sid == old.sid)).started_at = utcnow() - timedelta(days=40)
        session.commit()
    clients = phone.folder / "lumiere.yaml"
    clients.write_text(clients.read_text() + "retention: {calls: 30d}\n", encoding="utf-8")
    phone.ccctl("tenant", "apply", "-f", str(clients))
    assert "calls" in phone.ccctl("retention", "kinds").stdout
    phone.ccctl("retention", "apply", "-t", "lumiere", "--dry-run")
    assert len(calls_of(phone.app, "lumiere")) == 2
    phone.ccctl("retention", "apply", "-t", "lumiere")
    assert [c.call_sid for c in calls_of(phone.app, "lumiere")] == [recent.sid]
    with phone.app.session() as session:
        assert session.scalar(select(VoiceRecordingPurge.recording_sid)).startswith("RE")
