"""The plugins.email section: errors name the file, line and key; secrets must be references."""

import pytest

BASE = """\
tenant: t1
name: T1
queues: [{name: general}]
plugins:
  email:
    enabled: true
"""


@pytest.mark.parametrize("section, key, message", [
    ("    imap: {host: h, user: u, password: hunter2}\n", "imap.password", "secrets must not be written"),
    ("    imap: {host: h, user: u, password: '${X}', colour: red}\n", "colour", "unknown key"),
    ("    imap: {host: h, password: '${X}'}\n", "imap.user", "required key is missing"),
    ("    ack: {enabled: true}\n", "email", "ack.enabled needs an 'smtp' section"),
    ("    smtp: {host: h, from: nobody}\n", "smtp.from", "not an address"),
    ("    sla: soon\n", "sla", "not a duration"),
    ("    ack: {templates: {fr: {body: '{% if %}'}}}\n", "ack.templates.fr", "template error line 1"),
    ("    canned: {thanks: {body: 'Merci {{ customer.name '}}\n", "canned.thanks", "template error"),
])
def test_bad_section_is_refused_with_location(ccctl, tmp_path, section, key, message):
    path = tmp_path / "t1.yaml"
    path.write_text(BASE + section)
    result = ccctl("tenant", "apply", "-f", str(path), code=2)
    assert str(path) in result.stderr and key in result.stderr and message in result.stderr
    assert f"{path}:7:" in result.stderr or f"{path}:5:" in result.stderr  # the key's line, or its section's


def test_good_section_round_trips(ccctl, tmp_path):
    path = tmp_path / "t1.yaml"
    path.write_text(BASE + "    smtp: {host: h, port: 587, starttls: true, user: u, password: '${SMTP_PW}',"
                           " from: 'Support <s@t1.example>'}\n    sla: 24h\n")
    ccctl("tenant", "apply", "-f", str(path))
    smtp = ccctl.json("tenant", "show", "t1")["plugins"]["email"]["smtp"]
    assert smtp["from"] == "Support <s@t1.example>" and smtp["password"] == "${SMTP_PW}"
