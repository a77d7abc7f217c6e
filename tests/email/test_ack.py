"""Auto-acknowledgements over a real SMTP server: when, to whom, how often, in which words."""

import pytest

ACK_ON = """
ack:
  enabled: true
  max_per_sender_per_hour: 2
"""


def ingest(ccctl, raw: bytes, code=0):
    return ccctl.json("email", "ingest", "-t", "voyages-lumiere", input=raw.decode(), code=code)


def test_new_thread_is_acknowledged_with_reference_and_loop_guards(ccctl, apply_tenant, make_mail, smtp):
    apply_tenant(smtp_port=smtp.port, ack=ACK_ON)
    out = ingest(ccctl, make_mail(1))
    assert out["acks_sent"] == 1
    [sent] = smtp.messages
    msg = sent["message"]
    item_id = ccctl.json("customer", "show", "1", "-t", "voyages-lumiere")["open_items"][0]["id"]
    assert sent["to"] == ["elodie@example.fr"] and sent["from"] == "support@example.test"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["In-Reply-To"] == "<m1@example.fr>" and "<m1@example.fr>" in msg["References"]
    assert f"[#{item_id}]" in msg["Subject"]
    body = msg.get_payload(decode=True).decode()
    assert "Bonjour Élodie Martin" in body and f"#{item_id}" in body  # built-in French template
    assert f"[ref:ccctl.{item_id}." in body
    # The customer's answer to the ack joins the item and is not acknowledged again.
    answer = make_mail(2, subject="Re: " + msg["Subject"], headers=f"In-Reply-To: {msg['Message-ID']}")
    out = ingest(ccctl, answer)
    assert (out["joined"], out["acks_sent"]) == (1, 0)
    timeline = ccctl.json("customer", "show", "1", "-t", "voyages-lumiere")["timeline"]
    assert any(t["direction"] == "out" and t["summary"].startswith("Acknowledgement") for t in timeline)


@pytest.mark.parametrize("headers, sender", [
    ("Auto-Submitted: auto-replied", "bot@example.fr"),
    ("Auto-Submitted: auto-generated; owner=x", "bot@example.fr"),
    ("Precedence: bulk", "news@example.fr"),
    ("Precedence: junk", "news@example.fr"),
    ("Precedence: list", "news@example.fr"),
    ("List-Id: <offers.example.fr>", "news@example.fr"),
    ("X-Auto-Response-Suppress: All", "exchange@example.fr"),
    ("", "noreply@example.fr"),
    ("", "no-reply+abc@example.fr"),
    ("", "MAILER-DAEMON@example.fr"),
    ("", "support@example.test"),  # one of our own addresses
])
def test_never_acknowledged(ccctl, apply_tenant, make_mail, smtp, headers, sender):
    apply_tenant(smtp_port=smtp.port, ack=ACK_ON)
    out = ingest(ccctl, make_mail(1, sender=sender, headers=headers))
    # An out-of-office (auto-replied) goes to the history only (test_autoreply.py); the others are items.
    auto_reply = int("auto-replied" in headers)
    assert (out["new"], out["auto_reply"]) == (1 - auto_reply, auto_reply)
    assert out["acks_sent"] == 0 and smtp.messages == []


def test_auto_submitted_no_is_a_human(ccctl, apply_tenant, make_mail, smtp):
    apply_tenant(smtp_port=smtp.port, ack=ACK_ON)
    assert ingest(ccctl, make_mail(1, headers="Auto-Submitted: no"))["acks_sent"] == 1


def test_at_most_n_acks_per_sender_per_hour(ccctl, apply_tenant, make_mail, smtp):
    apply_tenant(smtp_port=smtp.port, ack=ACK_ON)
    for n in range(1, 5):
        ingest(ccctl, make_mail(n, subject=f"demande {n}"))
    ingest(ccctl, make_mail(9, sender="other@example.fr"))
    assert [m["to"][0] for m in smtp.messages] == ["elodie@example.fr"] * 2 + ["other@example.fr"]


def test_tenant_template_per_locale_in_a_sandbox(ccctl, apply_tenant, make_mail, smtp):
    apply_tenant(smtp_port=smtp.port, locale="en_GB", ack="""
        ack:
          enabled: true
          templates:
            en: {subject: "Got it: {{ item.subject }}", body: "Dear {{ customer.name }}, ref {{ item.ref }}."}
    """)
    ingest(ccctl, make_mail(1))
    msg = smtp.messages[0]["message"]
    assert msg["Subject"].startswith("Got it: Annulation [#")
    assert msg.get_payload(decode=True).decode().startswith("Dear Élodie Martin, ref #")


def test_template_cannot_reach_python(ccctl, apply_tenant, make_mail, smtp):
    apply_tenant(smtp_port=smtp.port, ack="""
        ack:
          enabled: true
          templates:
            fr: {body: "{{ item.__class__.__mro__ }}"}
    """)
    result = ccctl("email", "ingest", "-t", "voyages-lumiere", "--format", "json", input=make_mail(1).decode())
    # The mail still reaches the queue; the unsafe template is refused and nothing is sent.
    assert '"new": 1' in result.stdout and smtp.messages == []
    assert "no acknowledgement for <m1@example.fr>: ack body:" in result.stderr and "unsafe" in result.stderr


def test_smtp_down_keeps_acks_queued_until_send(ccctl, apply_tenant, make_mail, smtp, start_smtp, tmp_path):
    port = smtp.port
    smtp.stop()
    apply_tenant(smtp_port=port, ack=ACK_ON)
    (tmp_path / "m1.eml").write_bytes(make_mail(1))  # from files (an MTA pipe exits 0: test_poison.py)
    result = ccctl("email", "ingest", str(tmp_path / "m1.eml"), "-t", "voyages-lumiere", code=1)
    assert f"SMTP 127.0.0.1:{port}: cannot connect" in result.stderr
    # The message itself was committed before sending: nothing lost, the ack waits in the outbox.
    assert [o["status"] for o in ccctl.json("email", "outbox", "-t", "voyages-lumiere")] == ["queued"]
    assert ccctl.json("customer", "show", "1", "-t", "voyages-lumiere")["open_items"]
    back = start_smtp(port)
    assert ccctl.json("email", "send", "-t", "voyages-lumiere")["sent"] == 1
    assert ccctl.json("email", "send", "-t", "voyages-lumiere")["sent"] == 0  # never twice
    assert len(back.messages) == 1


def test_refused_recipient_is_marked_failed(ccctl, apply_tenant, make_mail, smtp):
    apply_tenant(smtp_port=smtp.port, ack=ACK_ON)
    out = ingest(ccctl, make_mail(1, sender="refused@example.fr"))
    assert out["acks_failed"] == 1
    [row] = ccctl.json("email", "outbox", "--status", "failed", "-t", "voyages-lumiere")
    assert "no such user" in row["error"]


def test_temporary_refusal_keeps_the_ack_queued(ccctl, apply_tenant, make_mail, smtp):
    apply_tenant(smtp_port=smtp.port, ack=ACK_ON)
    ingest(ccctl, make_mail(1, sender="greylisted@example.fr"))
    [row] = ccctl.json("email", "outbox", "-t", "voyages-lumiere")
    assert row["status"] == "queued" and "greylisted" in row["error"]
    assert ccctl.json("email", "send", "-t", "voyages-lumiere")["deferred"] == 1
