"""docs/integration.md stays true: its receiver-side verification code accepts what ccctl signs
and refuses what it should."""

from __future__ import annotations

import time
from pathlib import Path

from ccctl_site.signing import sign

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"


def doc_verify():
    text = DOC.read_text(encoding="utf-8").split("### Verifying a delivery", 1)[1]
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(compile(code, str(DOC), "exec"), scope)  # noqa: S102 (our own documentation's example)
    return scope["verify"]


def test_the_documented_receiver_check_agrees_with_the_signer():
    verify = doc_verify()
    body = b'{"id":"5c1d","type":"item.closed"}'
    assert verify("hook-key", sign("hook-key", body), body)
    assert not verify("other-key", sign("hook-key", body), body)
    assert not verify("hook-key", sign("hook-key", body), body + b" ")
    assert not verify("hook-key", sign("hook-key", body, int(time.time()) - 3600), body)
    assert not verify("hook-key", "garbage", body)
