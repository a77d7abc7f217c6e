"""Voice tests: a live `ccctl serve`, the call simulator (Twilio-compatible), two tenants on two numbers."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from voice_helpers import HORIZON, LUMIERE, write_tenant  # noqa: E402


@dataclass
class Phone:
    sim: object
    base: str
    ccctl: object
    app: object
    folder: Path
    accounts: dict

    def apply(self, slug: str, number: str, extra: str = "") -> None:
        account_sid, _token = self.accounts[slug]
        write_tenant(self.folder, slug, number, account_sid, f"VOICE_TOKEN_{slug.upper()}", self.sim.url, self.base,
                     extra=extra)
        self.ccctl("tenant", "apply", "-f", str(self.folder / f"{slug}.yaml"))
        self.sim.add_number(number, self.base, slug, account_sid)

    def agent(self, name: str, phone: str | None, serves: str = "lumiere", skills: str = "booking",
              capacity: int = 2, state: str = "available") -> None:
        self.ccctl("agent", "add", name, "--serves", serves, "--skill", skills, "--capacity", str(capacity))
        args = ["--phone", phone] if phone else []
        self.ccctl("agent", "set", name, "--state", state, *args)


@pytest.fixture
def phone(db_url, app, ccctl, tmp_path, monkeypatch):
    """Tenants lumiere (+33180000001) and horizon (+33180000002), each its own Twilio account."""
    from support.live_server import running_server
    from support.twilio_voice import VoiceSimulator

    with VoiceSimulator() as sim:
        accounts = {"lumiere": sim.add_account(), "horizon": sim.add_account()}
        for slug, (_sid, token) in accounts.items():
            monkeypatch.setenv(f"VOICE_TOKEN_{slug.upper()}", token)
        with running_server(db_url) as base:
            folder = tmp_path / "clients"
            folder.mkdir()
            world = Phone(sim, str(base), ccctl, app, folder, accounts)
            world.apply("lumiere", LUMIERE)
            world.apply("horizon", HORIZON)
            yield world
        assert sim.contract_problems() == []   # ccctl.testing.twilio_contract: every request and answer
