"""Group commit of voice webhooks (SQLite): the webhooks that waited for the write turn share one
transaction, each in a savepoint, so a refused one undoes only its own writes."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from voice_helpers import CALLER, LUMIERE, calls_of, write_tenant


def test_a_refused_webhook_in_a_batch_undoes_only_its_own_writes(app, ccctl, tmp_path, monkeypatch):
    from sqlalchemy import func, select

    from ccctl.db.models import Interaction, SeenRequest, Tenant
    from ccctl_voice import journey
    from ccctl_voice.config import voice_config
    from ccctl_voice.twiml import Script
    from ccctl_voice.web import Step, store_steps

    monkeypatch.setenv("VOICE_TOKEN_LUMIERE", "secret")
    write_tenant(tmp_path, "lumiere", LUMIERE, "AC" + "a" * 32, "VOICE_TOKEN_LUMIERE", "http://127.0.0.1:9",
                 "http://127.0.0.1:9")
    ccctl("tenant", "apply", "-f", str(tmp_path / "lumiere.yaml"))

    def call(sid, caller=CALLER):
        return {"CallSid": sid, "From": caller, "To": LUMIERE, "CallStatus": "ringing"}

    with app.transaction() as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == "lumiere"))
        cfg = voice_config(tenant)
        steps = [Step(journey.incoming, cfg, call("CA" + "1" * 32), {}, "digest-1", 3600),
                 Step(journey.menu, cfg, call("CA" + "9" * 32), {}, "digest-2", 3600),   # no such call: 404
                 Step(journey.incoming, cfg, call("CA" + "3" * 32, "+33633333333"), {}, "digest-1", 3600),  # replay
                 Step(journey.incoming, cfg, call("CA" + "4" * 32, "+33644444444"), {}, "digest-4", 3600)]
        answers = store_steps(app.context(session, tenant), steps)
    assert isinstance(answers[0], Script) and isinstance(answers[3], Script)
    assert (answers[1].status_code, answers[2].status_code) == (404, 403)
    assert isinstance(answers[1], HTTPException)
    assert [c.call_sid for c in calls_of(app, "lumiere")] == ["CA" + "1" * 32, "CA" + "4" * 32]
    with app.session() as session:
        assert sorted(session.scalars(select(SeenRequest.digest))) == ["digest-1", "digest-4"]
        assert session.scalar(select(func.count()).select_from(Interaction)) == 2  # one "incoming" event each
