"""The outbox's dry-run backends (``smtp.backend: console | file``): mail is composed, recorded
and marked sent as with a server, and nothing leaves the machine."""

from __future__ import annotations

import email
import email.policy
import json

FROM = "Support <support@example.test>"


def dry_run(backend: str, folder=None) -> str:
    section = {"backend": backend, "from": FROM, **({"folder": str(folder)} if folder else {})}
    return f"smtp: {json.dumps(section)}\nack: {{enabled: true}}"


def test_file_backend_writes_each_mail_as_an_eml_file(ccctl, apply_tenant, make_mail, tmp_path, network_watch):
    outbox = tmp_path / "outbox" / "voyages"  # created when missing
    apply_tenant(extra=dry_run("file", outbox))
    (tmp_path / "in").mkdir()
    for n in (1, 2):
        (tmp_path / "in" / f"{n}.eml").write_bytes(make_mail(n, sender=f"c{n}@example.fr"))
    out = ccctl.json("email", "ingest", str(tmp_path / "in"), "-t", "voyages-lumiere")
    assert (out["new"], out["acks_sent"], out["acks_failed"]) == (2, 2, 0)
    item = ccctl.json("queue", "list", "-t", "voyages-lumiere")[0]["id"]
    ccctl("email", "reply", str(item), "-t", "voyages-lumiere", input="Votre annulation est faite.")
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 3 and not list(outbox.glob(".writing-*"))
    mails = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(m["To"] for m in mails) == ["c1@example.fr", "c1@example.fr", "c2@example.fr"]
    assert all(f.name.endswith(m["Message-ID"].strip("<>").replace("@", "_") + ".eml") for f, m in zip(files, mails))
    reply = next(m for m in mails if "Auto-Submitted" not in m)
    assert "Votre annulation est faite." in reply.get_body(("plain",)).get_content()
    assert {o["status"] for o in ccctl.json("email", "outbox", "-t", "voyages-lumiere")} == {"sent"}
    assert not [c for c in network_watch.calls if c.startswith("SMTP")]  # no server asked
    [mail_smtp] = [c for c in ccctl.json("status", "-t", "voyages-lumiere") if c["check"] == "mail smtp"]
    assert mail_smtp["status"] == "ok" and "file backend" in mail_smtp["detail"]


def test_console_backend_prints_the_mail(ccctl, apply_tenant, make_mail, tmp_path):
    apply_tenant(extra=dry_run("console"))
    (tmp_path / "m.eml").write_bytes(make_mail(1))
    result = ccctl("email", "ingest", str(tmp_path / "m.eml"), "-t", "voyages-lumiere", "--format", "json")
    assert json.loads(result.stdout)["acks_sent"] == 1
    assert "[email dry run] from support@example.test to elodie@example.fr: " in result.stderr
    assert "[ref:ccctl." in result.stderr  # the body, footer included


def test_an_unwritable_folder_leaves_mail_queued_and_exits_1(ccctl, apply_tenant, make_mail, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    apply_tenant(extra=dry_run("file", blocker / "outbox"))
    (tmp_path / "m.eml").write_bytes(make_mail(1))
    result = ccctl("email", "ingest", str(tmp_path / "m.eml"), "-t", "voyages-lumiere", code=1)
    assert f"smtp.folder {blocker / 'outbox'}: cannot create it" in result.stderr
    assert [o["status"] for o in ccctl.json("email", "outbox", "-t", "voyages-lumiere")] == ["queued"]
    status = ccctl("status", "-t", "voyages-lumiere", "--no-probe", code=1)
    assert f"problem: tenant voyages-lumiere: mail smtp: file backend: smtp.folder {blocker / 'outbox'} " \
           "cannot be written" in status.stderr


def test_backend_settings_are_checked_on_apply(ccctl, tmp_path):
    from tests.email.conftest import tenant_yaml

    for smtp, says in ((dict(backend="file"), "backend file needs 'folder'"),
                       (dict(backend="smtp"), "backend smtp needs 'host'"),
                       (dict(backend="console", folder="/tmp/x"), "'folder' is for backend: file only"),
                       (dict(backend="pigeon"), "plugins.email.smtp.backend")):
        path = tmp_path / "t.yaml"
        path.write_text(tenant_yaml(extra=f"smtp: {json.dumps({**smtp, 'from': FROM})}"))
        assert says in ccctl("tenant", "apply", "-f", str(path), code=2).stderr
