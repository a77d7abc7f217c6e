"""ccctl_channel_event as a listening plugin meets it: a call-back booking is reported in the booking's
transaction, to the plugins the tenant enables only (reach: tenant)."""

from __future__ import annotations

from callback_helpers import write_tenant

from ccctl.hookspecs import hookimpl
from ccctl.testing import plugin_manager


class Listener:
    def __init__(self):
        self.heard = []

    @hookimpl
    def ccctl_channel_event(self, name, data, ctx):
        self.heard.append((ctx.tenant.slug, name, data))


def test_a_booking_is_reported_to_the_tenants_listening_plugin(ccctl_with, tmp_path):
    listener = Listener()
    cli = ccctl_with(plugin_manager(("listener", listener)))
    folder = tmp_path / "clients"
    folder.mkdir()
    write_tenant(folder, "rappel", extra="  listener:\n    enabled: true\n")
    write_tenant(folder, "sourd", name="Sans listener", extra="  listener:\n    enabled: false\n")
    cli("tenant", "apply", "-f", folder)
    booked = cli.json("callback", "request", "-t", "rappel", "--phone", "06 12 34 56 78", "--now")
    cli("callback", "request", "-t", "sourd", "--phone", "06 12 34 56 79", "--now")
    [(slug, name, data)] = listener.heard          # nothing for the tenant that switched it off
    assert (slug, name) == ("rappel", "callback.booked")
    assert data["request"] == booked["request"] and data["item"] == booked["item"] and data["slot"] is None
    assert data["phone"].startswith("+336")
