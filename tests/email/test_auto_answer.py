"""Automatic FAQ answers to new email items (selfhelp decides, the email plugin sends) over a real SMTP server."""

from __future__ import annotations

from pathlib import Path

from .conftest import tenant_yaml

FAQ = Path(__file__).resolve().parents[2] / "examples" / "faq" / "voyages-lumiere"
TENANT = "voyages-lumiere"
URL = "https://aide.example.fr/faq/annuler-reservation"
# All the title terms of "Comment annuler ma réservation ?", and of no other article.
STRONG = dict(subject="Annuler ma réservation ?", body="Bonjour, comment faire ? Élodie")


def setup_tenant(ccctl, tmp_path, smtp, *, auto_answer=True, ack="", locale="fr_FR", email_extra="", cap=None):
    ack = ack or (f"ack:\n  max_per_sender_per_hour: {cap}" if cap is not None else "")
    selfhelp = ["  selfhelp:", "    enabled: true", f"    auto_answer: {'true' if auto_answer else 'false'}",
                "    public_url: https://aide.example.fr/faq/"]
    text = tenant_yaml(TENANT, smtp_port=smtp.port, ack=ack, extra=email_extra, locale=locale) + "\n".join(selfhelp)
    path = tmp_path / f"{TENANT}.yaml"
    path.write_text(text)
    ccctl("tenant", "apply", "-f", str(path))
    ccctl("faq", "sync", str(FAQ), "-t", TENANT)


def subject(msg) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(msg["Subject"])))


def ingest(ccctl, raw: bytes, *args: str):
    return ccctl.json("email", "ingest", "-t", TENANT, *args, input=raw.decode())


def item_of(ccctl):
    return ccctl.json("customer", "show", "1", "-t", TENANT)


def test_strong_match_is_answered_once_threaded_and_recorded(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp)
    out = ingest(ccctl, make_mail(1, **STRONG))
    assert (out["new"], out["acks_sent"]) == (1, 1)
    [sent] = smtp.messages
    msg = sent["message"]
    shown = item_of(ccctl)
    item_id = shown["open_items"][0]["id"]
    assert sent["to"] == ["elodie@example.fr"] and sent["from"] == "support@example.test"
    assert msg["Auto-Submitted"] == "auto-replied" and msg["X-Auto-Response-Suppress"] == "All"
    assert msg["In-Reply-To"] == "<m1@example.fr>" and "<m1@example.fr>" in msg["References"]
    assert subject(msg) == f"Re: Annuler ma réservation ? [#{item_id}]"
    assert msg["Message-ID"].startswith(f"<ccctl.{item_id}.")
    body = msg.get_payload(decode=True).decode()
    assert "Bonjour Élodie Martin" in body and "Comment annuler ma réservation ?" in body  # built-in French
    assert URL in body and "espace client" in " ".join(body.split())  # the link and an excerpt (wrapped)
    assert f"[ref:ccctl.{item_id}." in body
    timeline = shown["timeline"]
    assert any(t["channel"] == "email" and t["direction"] == "out" and t["summary"].startswith("Automatic answer")
               for t in timeline)
    assert any(t["channel"] == "selfhelp" and t["direction"] == "out" for t in timeline)  # selfhelp saw it sent
    # The same message again (an MTA retry, a re-fetch): a duplicate, nothing more goes out.
    again = ingest(ccctl, make_mail(1, **STRONG))
    assert (again["duplicate"], again["acks_sent"]) == (1, 0) and len(smtp.messages) == 1
    assert ccctl.json("email", "send", "-t", TENANT)["sent"] == 0
    # The customer's reply to the answer joins the item and is not answered again.
    reply = make_mail(2, subject="Re: " + subject(msg), body="Annuler ma réservation ? Ça ne marche pas.",
                      headers=f"In-Reply-To: {msg['Message-ID']}")
    assert (ingest(ccctl, reply)["joined"], len(smtp.messages)) == (1, 1)


def test_answer_stands_in_for_the_ack(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp, ack="ack:\n  enabled: true")
    ingest(ccctl, make_mail(1, **STRONG))
    ingest(ccctl, make_mail(2, subject="Mon colis", body="Où en est ma commande ?"))  # no FAQ match: an ack
    subjects = [subject(m["message"]) for m in smtp.messages]
    assert len(subjects) == 2 and subjects[0].startswith("Re: Annuler ma réservation ?")
    assert subjects[1].startswith("Votre demande [#")
    outbox = ccctl.json("email", "outbox", "-t", TENANT)
    assert sorted(o["kind"] for o in outbox) == ["ack", "answer"]


def test_english_builtin_and_tenant_template(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp, locale="en_GB", email_extra="""
        auto_answer:
          excerpt_chars: 0
          templates:
            fr: {subject: "ignored", body: "ignored"}
    """)
    ingest(ccctl, make_mail(1, **STRONG))
    body = smtp.messages[0]["message"].get_payload(decode=True).decode()
    assert body.startswith("Hello Élodie Martin,") and URL in body and "espace client" not in body
    setup_tenant(ccctl, tmp_path, smtp, locale="fr_FR", email_extra="""
        auto_answer:
          templates:
            fr_FR: {subject: "Réponse : {{ article.title }}", body: "{{ article.url }} | {{ item.ref }}"}
    """)
    ingest(ccctl, make_mail(2, sender="paul@example.fr", **STRONG))
    msg = smtp.messages[1]["message"]
    assert subject(msg).startswith("Réponse : Comment annuler ma réservation ? [#")
    assert msg.get_payload(decode=True).decode().startswith(f"{URL} | #")


def test_broken_tenant_template_keeps_the_mail_and_sends_nothing(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp, email_extra="""
        auto_answer:
          templates:
            fr: {body: "{{ article.nope }}"}
    """)
    out = ingest(ccctl, make_mail(1, **STRONG))
    assert out["new"] == 1 and smtp.messages == []
    event = [t for t in item_of(ccctl)["timeline"] if t["channel"] == "selfhelp"]
    assert event[0]["direction"] == "internal"


def test_bad_template_is_refused_at_apply(ccctl, tmp_path, smtp):
    path = tmp_path / "bad.yaml"
    path.write_text(tenant_yaml(TENANT, smtp_port=smtp.port, extra="""
        auto_answer:
          templates:
            fr: {body: "{% if %}"}
    """))
    result = ccctl("tenant", "apply", "-f", str(path), code=2)
    assert "auto_answer" in result.output and "templates" in result.output


def test_not_answered_when_the_tenant_disables_it(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp, auto_answer=False)
    assert ingest(ccctl, make_mail(1, **STRONG))["acks_sent"] == 0 and smtp.messages == []


def test_not_answered_with_no_ack(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp)
    ingest(ccctl, make_mail(1, **STRONG), "--no-ack")  # e.g. importing an archive
    assert ccctl.json("email", "send", "-t", TENANT)["sent"] == 0 and smtp.messages == []
    event = [t for t in item_of(ccctl)["timeline"] if t["channel"] == "selfhelp"]
    assert event[0]["direction"] == "internal"


def test_never_answered_to_robots(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp)
    robots = [("noreply@example.fr", ""), ("MAILER-DAEMON@example.fr", ""),
              ("bot@example.fr", "Auto-Submitted: auto-replied"), ("news@example.fr", "Precedence: bulk"),
              ("news@example.fr", "List-Id: <offers.example.fr>"), ("support@example.test", "")]
    for n, (sender, headers) in enumerate(robots, start=1):
        out = ingest(ccctl, make_mail(n, sender=sender, headers=headers, **STRONG))
        # An auto-replied mail is history only (no item to answer); the others are items, unanswered.
        assert (out["new"] + out["auto_reply"], out["acks_sent"]) == (1, 0), sender
    assert smtp.messages == []
    # A human who says so (Auto-Submitted: no) is answered.
    assert ingest(ccctl, make_mail(99, headers="Auto-Submitted: no", **STRONG))["acks_sent"] == 1


def test_per_sender_cap_counts_acks_and_answers(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp, cap=2)
    for n in range(1, 5):
        ingest(ccctl, make_mail(n, **STRONG))
    ingest(ccctl, make_mail(9, sender="other@example.fr", **STRONG))
    assert [m["to"][0] for m in smtp.messages] == ["elodie@example.fr"] * 2 + ["other@example.fr"]
    events = [t for t in item_of(ccctl)["timeline"] if t["channel"] == "selfhelp"]
    assert sorted(t["direction"] for t in events) == ["internal", "internal", "out", "out"]


def test_bulk_ingest_answers_each_new_thread_within_the_cap(ccctl, tmp_path, smtp, make_mail):
    setup_tenant(ccctl, tmp_path, smtp, cap=2)
    senders = ["c1", "c2", "c3", "c1", "c1"]  # one chunk: the cap also counts answers queued in it
    mbox = tmp_path / "in.mbox"
    mbox.write_bytes(b"".join(b"From x@y Mon Nov 23 10:00:00 2026\n" + make_mail(n, sender=f"{s}@example.fr", **STRONG)
                              .replace(b"\r\n", b"\n") + b"\n" for n, s in enumerate(senders, start=1)))
    out = ccctl.json("email", "ingest", str(mbox), "-t", TENANT)
    assert (out["new"], out["acks_sent"]) == (5, 4)
    assert sorted(m["to"][0] for m in smtp.messages) == ["c1@example.fr"] * 2 + ["c2@example.fr", "c3@example.fr"]
