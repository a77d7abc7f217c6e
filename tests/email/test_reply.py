"""`ccctl email reply`: body sources, threading headers, history, and the customer's answer coming back."""

import stat

import pytest

CANNED = """
canned:
  thanks: {body: "Merci {{ customer.name }}, votre dossier {{ item.ref }} est traité."}
"""


@pytest.fixture
def item_id(ccctl, apply_tenant, make_mail, smtp):
    apply_tenant(smtp_port=smtp.port, extra=CANNED)
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=make_mail(1).decode())
    ccctl("email", "ingest", "-t", "voyages-lumiere",
          input=make_mail(2, subject="Re: Annulation", headers="In-Reply-To: <m1@example.fr>").decode())
    return ccctl.json("customer", "show", "1", "-t", "voyages-lumiere")["open_items"][0]["id"]


def reply(ccctl, item, *args, input=None, env=None, code=0):
    return ccctl("email", "reply", str(item), "-t", "voyages-lumiere", "--format", "json", *args,
                 input=input, env=env, code=code)


def test_reply_from_file_is_threaded_and_recorded(ccctl, item_id, smtp, tmp_path):
    (tmp_path / "answer.txt").write_text("Votre annulation est faite.\n", encoding="utf-8")
    reply(ccctl, item_id, "--file", str(tmp_path / "answer.txt"), "--agent", "marie")
    [sent] = smtp.messages
    msg = sent["message"]
    assert sent["to"] == ["elodie@example.fr"]
    assert msg["Subject"] == f"Re: Annulation [#{item_id}]"
    assert msg["In-Reply-To"] == "<m2@example.fr>"  # the customer's latest message
    assert msg["References"].split() == ["<m1@example.fr>", "<m2@example.fr>"]
    assert msg["Auto-Submitted"] is None  # a person wrote this one
    assert msg.get_payload(decode=True).decode().startswith("Votre annulation est faite.")
    timeline = ccctl.json("customer", "show", "1", "-t", "voyages-lumiere")["timeline"]
    out = [t for t in timeline if t["direction"] == "out"]
    assert out[0]["summary"] == f"Reply: Re: Annulation [#{item_id}]" and out[0]["actor"] == "marie"
    # The customer answers our reply: threaded by References to our Message-ID.
    answer = (f"From: elodie@example.fr\r\nSubject: Re: Re: Annulation\r\nMessage-ID: <m3@example.fr>\r\n"
              f"In-Reply-To: {msg['Message-ID']}\r\n\r\nMerci !\r\n")
    assert ccctl.json("email", "ingest", "-t", "voyages-lumiere", input=answer)["joined"] == 1


def test_reply_from_stdin_and_canned_template(ccctl, item_id, smtp):
    reply(ccctl, item_id, input="Réponse depuis stdin.\n")
    reply(ccctl, item_id, "--template", "thanks")
    bodies = [m["message"].get_payload(decode=True).decode() for m in smtp.messages]
    assert bodies[0].startswith("Réponse depuis stdin.")
    assert bodies[1].startswith(f"Merci Élodie Martin, votre dossier #{item_id} est traité.")


def test_reply_from_editor(ccctl, item_id, smtp, tmp_path, monkeypatch):
    editor = tmp_path / "fake-editor"
    editor.write_text('#!/bin/sh\nprintf "Écrit dans l\'éditeur.\\n# dropped\\n" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    # CliRunner's stdin is never a terminal; play an operator at a terminal so $EDITOR opens.
    from ccctl_email import commands

    original = commands.click.get_text_stream

    class TtyStdin:
        def isatty(self):
            return True

    monkeypatch.setattr(commands.click, "get_text_stream",
                        lambda name: TtyStdin() if name == "stdin" else original(name))
    reply(ccctl, item_id, env={"EDITOR": str(editor), "VISUAL": str(editor)})
    body = smtp.messages[0]["message"].get_payload(decode=True).decode()
    assert body.startswith("Écrit dans l'éditeur.") and "dropped" not in body


def test_bad_replies_are_refused(ccctl, item_id, smtp):
    assert "the reply is empty" in reply(ccctl, item_id, input="  \n", code=2).stderr
    assert "no canned reply 'nope'" in reply(ccctl, item_id, "--template", "nope", code=2).stderr
    assert "no item 999" in reply(ccctl, 999, input="x", code=1).stderr
    assert smtp.messages == []


def test_reply_refused_by_server_exits_1_and_is_kept(ccctl, item_id, smtp):
    result = reply(ccctl, item_id, "--to", "refused@example.fr", input="x", code=1)
    assert "refused the reply" in result.stderr
    assert ccctl.json("email", "outbox", "--status", "failed", "-t", "voyages-lumiere")[0]["to"] == "refused@example.fr"


def test_reply_without_smtp_section(ccctl, apply_tenant, make_mail):
    apply_tenant()
    ccctl("email", "ingest", "-t", "voyages-lumiere", input=make_mail(1).decode())
    result = ccctl("email", "reply", "1", "-t", "voyages-lumiere", input="x", code=1)
    assert "no 'smtp' section" in result.stderr

