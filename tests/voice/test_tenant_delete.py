"""The end of a contract with a voice client: `tenant delete` refuses while the tenant's call recordings
are still at Twilio, names the command that deletes them, and deletes the tenant once they are gone."""

from __future__ import annotations

import json

from voice_helpers import CALLER, LUMIERE, call_row, calls_of, closed_hours_today

OTHER_CALLER = "+33644444444"
COMMAND = "ccctl voice purge-recordings -t lumiere --all-calls"


def _deletes(sim) -> list[tuple[str, int]]:
    """(recording SID, HTTP status) of every DELETE the Twilio-compatible server received."""
    return sorted((r.path.rsplit("/", 1)[-1].removesuffix(".json"), r.status)
                  for r in sim.requests if r.method == "DELETE" and "/Recordings/" in r.path)


def test_delete_waits_for_the_recordings_at_twilio_then_deletes_the_tenant(phone):
    phone.apply("lumiere", LUMIERE, extra=closed_hours_today())  # out of hours: each caller leaves a message
    erased = call_row(phone.app, phone.sim.place_call(CALLER, LUMIERE).sid)
    kept = call_row(phone.app, phone.sim.place_call(OTHER_CALLER, LUMIERE).sid)
    assert {erased.recording_sid, kept.recording_sid} <= set(phone.sim.recordings)
    phone.ccctl("customer", "erase", str(erased.customer_id), "-t", "lumiere", "--yes")  # one queued, one not
    phone.ccctl("tenant", "archive", "lumiere")

    dry = phone.ccctl("tenant", "delete", "lumiere", "--dry-run", "--format", "json", code=1)
    blocker = f"voice: 2 call recording(s) still at Twilio: run {COMMAND}"
    assert json.loads(dry.stdout)["blockers"] == [blocker]
    assert "tenant lumiere still has data outside this machine" in dry.stderr and COMMAND in dry.stderr
    refused = phone.ccctl("tenant", "delete", "lumiere", "--yes", code=1).stderr
    assert "tenant lumiere" in refused and "nothing was deleted" in refused and COMMAND in refused
    assert "lumiere" in [t["tenant"] for t in phone.ccctl.json("tenant", "list")]
    assert [c.call_sid for c in calls_of(phone.app, "lumiere")] == [kept.call_sid]
    assert _deletes(phone.sim) == []  # tenant delete itself never calls Twilio

    # Without --all-calls only the erased customer's recording goes; the tenant is still blocked.
    assert phone.ccctl.json("voice", "purge-recordings", "-t", "lumiere") == [
        {"tenant": "lumiere", "deleted": 1, "errors": 0}]
    assert "voice: 1 call recording(s) still at Twilio" in phone.ccctl(
        "tenant", "delete", "lumiere", "--yes", code=1).stderr

    assert phone.ccctl.json("voice", "purge-recordings", "-t", "lumiere", "--all-calls") == [
        {"tenant": "lumiere", "deleted": 1, "errors": 0}]
    assert _deletes(phone.sim) == sorted([(erased.recording_sid, 204), (kept.recording_sid, 204)])
    assert not {erased.recording_sid, kept.recording_sid} & set(phone.sim.recordings)
    assert phone.ccctl.json("tenant", "delete", "lumiere", "--dry-run")["blockers"] == []
    done = phone.ccctl.json("tenant", "delete", "lumiere", "--yes", "--actor", "dpo")
    assert done["rows"]["voice_calls"] == 1 and done["rows"]["voice_recording_purges"] == 2
    assert [t["tenant"] for t in phone.ccctl.json("tenant", "list")] == ["horizon"]


def test_all_calls_is_for_one_archived_tenant_and_a_refusing_twilio_keeps_the_tenant(phone, monkeypatch):
    phone.apply("lumiere", LUMIERE, extra=closed_hours_today())
    row = call_row(phone.app, phone.sim.place_call(CALLER, LUMIERE).sid)
    assert "not archived" in phone.ccctl("voice", "purge-recordings", "-t", "lumiere", "--all-calls",
                                         code=2).stderr
    assert "name it with -t SLUG" in phone.ccctl("voice", "purge-recordings", "--all-tenants", "--all-calls",
                                                 code=2).stderr
    assert _deletes(phone.sim) == [] and row.recording_sid in phone.sim.recordings

    phone.ccctl("tenant", "archive", "lumiere")
    monkeypatch.setenv("VOICE_TOKEN_LUMIERE", "wrong-token")
    failed = phone.ccctl("voice", "purge-recordings", "-t", "lumiere", "--all-calls", code=1).stderr
    assert "tenant lumiere: recording RE" in failed and "HTTP 401" in failed
    assert "voice: 1 call recording(s) still at Twilio" in phone.ccctl(
        "tenant", "delete", "lumiere", "--yes", code=1).stderr
    assert row.recording_sid in phone.sim.recordings

    monkeypatch.setenv("VOICE_TOKEN_LUMIERE", phone.accounts["lumiere"][1])  # the retry deletes it
    assert phone.ccctl.json("voice", "purge-recordings", "-t", "lumiere", "--all-calls")[0]["deleted"] == 1
    assert row.recording_sid not in phone.sim.recordings
    phone.ccctl("tenant", "delete", "lumiere", "--yes")


def test_a_tenant_with_no_recordings_is_deleted_as_before(phone):
    phone.ccctl("tenant", "archive", "horizon")
    dry = phone.ccctl.json("tenant", "delete", "horizon", "--dry-run")
    assert dry["blockers"] == [] and dry["dry_run"]
    done = phone.ccctl.json("tenant", "delete", "horizon", "--yes")
    assert done["rows"]["tenants"] == 1
    assert [t["tenant"] for t in phone.ccctl.json("tenant", "list")] == ["lumiere"]
