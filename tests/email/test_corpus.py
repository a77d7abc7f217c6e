"""A corpus of real-world shapes of mail (tests/email/corpus/, see its README): every ``ok-`` file,
mail real clients and gateways send, is ingested; every ``bad-`` file is quarantined; none crashes,
on SQLite and on PostgreSQL."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from ccctl_email.mime import UNSTORABLE, Unparseable, parse
from ccctl_email.models import EmailAttachment, EmailMessage, QuarantinedMail

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.eml"))


def test_the_corpus_has_both_kinds():
    names = [f.name for f in FILES]
    assert len(names) >= 30 and any(n.startswith("bad-") for n in names)
    assert all(n.startswith(("ok-", "bad-")) for n in names)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_file_parses_or_says_why(path):
    if path.name.startswith("bad-"):
        with pytest.raises(Unparseable):
            parse(path.read_bytes())
        return
    parsed = parse(path.read_bytes())
    fields = [parsed.message_id, parsed.from_addr, parsed.from_name, parsed.subject, parsed.text,
              *parsed.to, *parsed.references, *(a.filename for a in parsed.attachments), *parsed.headers.values()]
    assert not any(UNSTORABLE.search(f) for f in fields)
    assert "@" in parsed.from_addr and len(parsed.subject) <= 500


def test_corpus_is_ingested_or_quarantined_on_this_database(ccctl, apply_tenant, session, tmp_path):
    apply_tenant()
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    out = ccctl.json("email", "ingest", str(folder), "-t", "voyages-lumiere")
    ok = [f.name for f in FILES if f.name.startswith("ok-")]
    bad = [f.name for f in FILES if f.name.startswith("bad-")]
    assert (out["new"] + out["joined"] + out["auto_reply"], out["quarantined"]) == (len(ok), len(bad))
    assert out["auto_reply"] == len([n for n in ok if n.startswith("ok-autoreply-")])  # test_autoreply.py
    session.rollback()
    stored = {Path(s).name for s in session.scalars(select(EmailMessage.source))}
    kept = {Path(s).name for s in session.scalars(select(QuarantinedMail.source))}
    assert (sorted(stored), sorted(kept)) == (ok, bad)
    names = set(session.scalars(select(EmailAttachment.filename)))
    assert {"facture-é.pdf", "facture été 2026.pdf", "réclamation.eml"} <= names
    reasons = set(session.scalars(select(QuarantinedMail.reason)))
    assert all("@" not in r for r in reasons)  # reasons never quote the sender
