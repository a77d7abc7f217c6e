"""Who holds an outbox claim (``host:pid:random``) and whether that process still runs."""

from __future__ import annotations

import os
import socket
import uuid


def write_session(app):
    """A session whose first statement starts a write transaction (BEGIN IMMEDIATE on SQLite)."""
    session = app.session()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    return session


def claimant_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claimant_dead(claimed_by: str | None) -> bool:
    """True when the claim was made by a process of this host that no longer runs."""
    try:
        host, pid, _ = (claimed_by or "").rsplit(":", 2)
        pid_n = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    try:
        with open(f"/proc/{pid_n}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # killed, not yet reaped
    except FileNotFoundError:
        return True
    except OSError:
        pass
    try:
        os.kill(pid_n, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
