"""`ccctl serve` really running (uvicorn, its own process) on 127.0.0.1, for browser and HTTP tests,
and a free loopback port.  Standard library only (plus uvicorn for ``threaded_server``)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (bind to it soon: another process may take it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerURL(str):
    """The base URL of a running server; ``.pid`` is its main process (uvicorn's workers are its children)."""

    pid: int

    def cpu_seconds(self) -> float:
        """User+system CPU used so far by the server and its live worker processes (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that just ended
            pid, ppid = int(stat.parent.name), int(fields[1])
            if self.pid in (pid, ppid):
                total += (int(fields[11]) + int(fields[12])) / tick
        return total


@contextlib.contextmanager
def running_server(db_url: str, *serve_args: str, env: dict[str, str] | None = None,
                   start_timeout: float = 60.0) -> Iterator[ServerURL]:
    """Start ``ccctl --database-url DB serve --host 127.0.0.1 --port FREE *serve_args``; yield its base URL.

    The server is stopped (SIGTERM, then SIGKILL of its whole process group) on exit.
    """
    port = free_port()
    log = tempfile.TemporaryFile()
    command = [sys.executable, "-m", "ccctl", "--database-url", db_url, "serve",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", *serve_args]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "CCCTL_TENANT": "", **(env or {})})
    base = ServerURL(f"http://127.0.0.1:{port}")
    base.pid = process.pid
    try:
        _wait_until_healthy(process, base, log, start_timeout)
        yield base
    finally:
        _stop(process)
        log.close()


@contextlib.contextmanager
def threaded_server(asgi_app) -> Iterator[str]:
    """Serve ``asgi_app`` (e.g. ``create_web_app(App(pm_with_test_plugins, db_url))``) with uvicorn
    in a thread of this process on 127.0.0.1; yield its base URL. For plugins only tests have."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi_app, host="127.0.0.1", port=port, log_level="warning",
                                           proxy_headers=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _wait_until_healthy(process: subprocess.Popen, base: str, log, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ccctl serve exited with {process.returncode}:\n{_read(log)}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"ccctl serve did not answer /health within {timeout}s:\n{_read(log)}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):  # workers left behind, if any
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _read(log) -> str:
    log.seek(0)
    return log.read().decode("utf-8", "replace")[-4000:]
