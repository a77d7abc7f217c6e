"""N simultaneous requests for a slot of capacity K book exactly K, each on its own connection."""

from __future__ import annotations

import threading

from callback_helpers import slot_utc, tomorrow, write_tenant
from sqlalchemy import func, select

from ccctl.context import App
from ccctl.errors import CcctlError
from ccctl.plugins import get_plugin_manager
from ccctl_callback.models import CallbackRequest, CallbackSlot
from ccctl_callback.requests import RequestInput, create_request, write_transaction

N, K = 12, 3


def test_concurrent_requests_never_overbook(ccctl, db_url, tmp_path):
    ccctl("tenant", "apply", "-f", str(write_tenant(tmp_path, "rush", capacity=K, sms=False)))
    slot = slot_utc(tomorrow(15, 0))
    start = threading.Barrier(N)
    results: list[str] = []
    lock = threading.Lock()

    def visitor(index: int) -> None:
        # Its own App: its own engine, pool and connection, as a separate web worker would have.
        app = App(get_plugin_manager(), db_url)
        try:
            with app.session() as session:
                tenant = app.tenant(session, "rush")
                start.wait()
                write_transaction(session)
                try:
                    create_request(app.context(session, tenant),
                                   RequestInput(phone=f"+336123456{index:02d}", name=f"Visitor {index}", slot=slot))
                    session.commit()
                    outcome = "booked"
                except CcctlError as exc:
                    session.rollback()
                    outcome = "full" if "is full" in exc.message else f"error: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - report anything else to the main thread
            outcome = f"crash: {exc!r}"
        finally:
            app.engine.dispose()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["booked"] * K + ["full"] * (N - K), results
    app = App(get_plugin_manager(), db_url)
    with app.session() as session:
        assert session.scalar(select(CallbackSlot.booked).where(CallbackSlot.starts_at == slot)) == K
        assert session.scalar(select(func.count()).select_from(CallbackRequest)
                              .where(CallbackRequest.slot_start == slot)) == K
    app.engine.dispose()
