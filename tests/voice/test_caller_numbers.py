"""Caller and called numbers as Twilio posts them: E.164 when they are, None otherwise (anonymous,
SIP, client identities, numbers no plan knows), never an error that would fail the call."""

from __future__ import annotations

import pytest

from ccctl_voice.calls import e164


@pytest.mark.parametrize("given,wanted", [
    ("+33612345678", "+33612345678"), (" +33 6 12 34 56 78", "+33612345678"),
    ("+1", None), ("+999123", None), ("+", None), ("anonymous", None), ("client:marie", None),
    ("sip:marie@example.fr", None), ("", None), ("0612345678", None),
])
def test_e164_or_none(ccctl, tenant_file, app, given, wanted):
    ccctl("tenant", "apply", "-f", tenant_file("client-a"))
    with app.session() as session:
        assert e164(given, app.tenant(session, "client-a")) == wanted
