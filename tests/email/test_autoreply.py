"""Out-of-office and other automatic replies: detected by headers and subjects, recorded in the
sender's history, never a queue item (unless the tenant says ``auto_replies: queue``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given, strategies as st
from sqlalchemy import func, select

from ccctl.db.models import Interaction, WorkItem
from ccctl_email.autoreply import AMBIGUOUS, PHRASES, auto_reply_reason
from ccctl_email.models import EmailMessage

CORPUS = Path(__file__).parent / "corpus"
HEADER_NAMES = st.sampled_from(["auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-autoresponder",
                                "return-path", "x-ms-exchange-inbox-rules-loop", "x-auto-response-suppress",
                                "list-id", "content-language"])
HEADERS = st.dictionaries(HEADER_NAMES, st.text(max_size=40), max_size=6)
REPLY_PREFIXES = st.lists(st.sampled_from(["Re: ", "RE:", "AW: ", "TR : ", "Fwd: "]), max_size=2).map("".join)


def _casing(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, flips + [False] * len(text)))


@given(HEADERS, st.text(max_size=120))
def test_never_raises_and_gives_a_reason_or_none(headers, subject):
    reason = auto_reply_reason(headers, subject)
    assert reason is None or (isinstance(reason, str) and reason)


@given(HEADERS, st.text(max_size=120), st.sampled_from(["auto-replied", "AUTO-REPLIED", "auto-replied; owner=x",
                                                        " Auto-Notified "]))
def test_rfc3834_auto_replied_is_an_auto_reply_whatever_else(headers, subject, value):
    assert auto_reply_reason({**headers, "auto-submitted": value}, subject) is not None


@given(st.sampled_from(PHRASES), REPLY_PREFIXES, st.lists(st.booleans(), max_size=40), st.sampled_from([":", " :", "\u00a0:"]),
       st.text(max_size=60))
def test_a_responder_subject_with_a_colon_is_an_auto_reply(phrase, prefix, flips, colon, rest):
    assert auto_reply_reason({}, f"{prefix}{_casing(phrase, flips)}{colon} {rest}") == "auto-reply subject"


@given(st.sampled_from([p for p in PHRASES if p not in AMBIGUOUS]), st.lists(st.booleans(), max_size=40))
def test_the_phrase_alone_is_an_auto_reply_but_not_an_ambiguous_word(phrase, flips):
    assert auto_reply_reason({}, _casing(phrase, flips)) is not None
    for word in AMBIGUOUS:
        assert auto_reply_reason({}, _casing(word, flips)) is None


WORDS = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x17F), min_size=1, max_size=60)


@given(st.sampled_from(PHRASES), st.sampled_from([" ", " de ", " hours ", " - "]), WORDS,
       st.dictionaries(st.sampled_from(["x-auto-response-suppress", "content-language", "list-id"]),
                       st.text(max_size=20), max_size=3),
       st.sampled_from(["", "no", "auto-generated"]))
def test_a_customer_subject_that_only_starts_with_a_phrase_is_mail(phrase, joint, rest, headers, auto):
    """No colon after the phrase and no sign in the headers: a person wrote it."""
    if rest.lstrip().startswith(":"):
        rest = "x" + rest
    assert auto_reply_reason({**headers, "auto-submitted": auto}, f"{phrase}{joint}{rest}") is None


@given(st.sampled_from(PHRASES), WORDS, st.sampled_from([{"precedence": "bulk"}, {"precedence": " JUNK"},
                                                        {"return-path": "<>"},
                                                        {"x-ms-exchange-inbox-rules-loop": "a@b.example"}]))
def test_a_phrase_and_a_weak_sign_together_are_an_auto_reply(phrase, rest, weak):
    assert auto_reply_reason(weak, f"{phrase} {rest}") is not None
    assert auto_reply_reason(weak, f"Question about {phrase}") is None  # not at the start: a weak sign alone


@given(WORDS)
def test_strong_headers_alone_are_enough_unless_they_say_no(subject):
    assert auto_reply_reason({"x-autoreply": "yes"}, subject) == "X-Autoreply header"
    assert auto_reply_reason({"x-autorespond": ""}, subject) == "X-Autorespond header"
    assert auto_reply_reason({"precedence": "auto_reply"}, subject) == "Precedence: auto_reply"
    if not any(subject.lower().lstrip().startswith(p) for p in PHRASES):
        assert auto_reply_reason({"x-autoreply": "no", "auto-submitted": "no"}, subject) is None


def test_corpus_auto_replies_go_to_the_history_not_the_queue(ccctl, apply_tenant, session, tmp_path):
    apply_tenant()
    folder = tmp_path / "mail"
    folder.mkdir()
    files = sorted(CORPUS.glob("ok-autoreply-*.eml")) + sorted(CORPUS.glob("ok-customer-*.eml"))
    assert len(files) >= 6
    for path in files:
        shutil.copy(path, folder)
    out = ccctl.json("email", "ingest", str(folder), "-t", "voyages-lumiere")
    autos = [p for p in files if "autoreply" in p.name]
    assert (out["auto_reply"], out["new"], out["quarantined"]) == (len(autos), len(files) - len(autos), 0)
    session.rollback()
    items = set(session.scalars(select(WorkItem.subject)))
    assert items == {"Absence de réponse à ma réclamation", "Out of office hours: can I still call you?"}
    history = {i.summary: i for i in session.scalars(select(Interaction))}
    assert "Automatic reply: Réponse automatique : Annulation de mon voyage" in history
    assert history["Automatic reply: En vacances"].payload["auto_reply"] == "Auto-Submitted: auto-replied"
    assert all(i.item_id is None for s, i in history.items() if s.startswith("Automatic reply"))
    # Seen again: a duplicate, not a second history entry.
    again = ccctl.json("email", "ingest", str(folder), "-t", "voyages-lumiere")
    assert (again["duplicate"], again["auto_reply"]) == (len(files), 0)


def test_an_auto_reply_to_a_waiting_item_joins_its_history_and_leaves_it_waiting(ccctl, apply_tenant, session,
                                                                               make_mail, tmp_path):
    apply_tenant()
    first = tmp_path / "first.eml"
    first.write_bytes(make_mail(1))
    ccctl("email", "ingest", str(first), "-t", "voyages-lumiere")
    item = session.scalar(select(WorkItem))
    item.state = "waiting"
    session.commit()
    ooo = tmp_path / "ooo.eml"
    ooo.write_bytes(make_mail(2, subject="Automatic reply: Annulation", headers="In-Reply-To: <m1@example.fr>"))
    assert ccctl.json("email", "ingest", str(ooo), "-t", "voyages-lumiere")["auto_reply"] == 1
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(WorkItem)) == 1
    assert session.scalar(select(WorkItem.state)) == "waiting"  # nobody has anything to do
    row = session.scalar(select(EmailMessage).where(EmailMessage.message_id == "<m2@example.fr>"))
    assert (row.item_id, row.matched_by) == (item.id, "auto_reply")
    summaries = set(session.scalars(select(Interaction.summary).where(Interaction.item_id == item.id)))
    assert "Automatic reply: Automatic reply: Annulation" in summaries


def test_a_tenant_may_queue_auto_replies_as_any_mail(ccctl, apply_tenant, make_mail, tmp_path):
    apply_tenant(extra="auto_replies: queue")
    path = tmp_path / "ooo.eml"
    path.write_bytes(make_mail(1, subject="Out of office", headers="Auto-Submitted: auto-replied"))
    out = ccctl.json("email", "ingest", str(path), "-t", "voyages-lumiere")
    assert (out["new"], out["auto_reply"]) == (1, 0)
    from tests.email.conftest import tenant_yaml

    bad = tmp_path / "bad.yaml"
    bad.write_text(tenant_yaml(extra="auto_replies: maybe"))
    refused = ccctl("tenant", "apply", "-f", str(bad), code=2)
    assert "auto_replies" in refused.stderr and "history" in refused.stderr
