"""Where the mailboxes' OAuth2 tokens live: one owner-only JSON file per mailbox, never the database.

``$CCCTL_TOKEN_DIR`` (default: ``<ccctl data dir>/oauth-tokens``) holds ``<tenant>/<mailbox>-<id>.json``;
folders are 0700 and files 0600, written whole (temporary file, then rename), so a reader never
sees half a token. A file that others can read is refused rather than used. The ``.lock`` file
beside each token serialises refreshes between processes (``fcntl.flock``: released by the
kernel if a process dies holding it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import stat
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ccctl.errors import CcctlError

DEFAULT_LIFETIME = 3600  # seconds, when a token response gives no expires_in (RFC 6749 leaves it optional)


class TokenResponseError(CcctlError):
    """The token endpoint answered something that is not a usable token."""


@dataclass
class TokenRecord:
    user: str
    client_id: str
    token_url: str
    access_token: str
    expires_at: float
    refresh_token: str | None = None
    scopes: list[str] = field(default_factory=list)
    obtained_at: float = 0.0
    refreshed_at: float | None = None

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return self.expires_at - (time.time() if now is None else now) <= seconds


def record_from_response(response: object, *, user: str, client_id: str, token_url: str,
                         previous: TokenRecord | None = None, now: float | None = None) -> TokenRecord:
    """A token endpoint's JSON answer → a record; a refresh that rotates nothing keeps the old refresh token."""
    if not isinstance(response, dict):
        raise TokenResponseError("the token endpoint's answer is not a JSON object")
    access = response.get("access_token")
    if not isinstance(access, str) or not access.strip() or any(c in access for c in "\x00\x01\r\n "):
        raise TokenResponseError("the token endpoint's answer has no usable access_token")
    kind = response.get("token_type", "Bearer")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise TokenResponseError(f"the token endpoint gave a token of type {str(kind)[:40]!r}, not Bearer")
    lifetime = response.get("expires_in", DEFAULT_LIFETIME)
    if isinstance(lifetime, str) and lifetime.strip().isdigit():  # some providers send it as text
        lifetime = int(lifetime.strip())
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or not 0 < lifetime < 10**8:
        raise TokenResponseError("the token endpoint's expires_in is not a positive number of seconds")
    refresh = response.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not refresh.strip()):
        raise TokenResponseError("the token endpoint's refresh_token is not text")
    scope = response.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise TokenResponseError("the token endpoint's scope is not text")
    now = time.time() if now is None else now
    scopes = scope.split() if scope is not None else list(previous.scopes if previous else [])
    return TokenRecord(user=user, client_id=client_id, token_url=token_url, access_token=access,
                       expires_at=now + float(lifetime), refresh_token=refresh or (previous.refresh_token if previous else None),
                       scopes=scopes, obtained_at=previous.obtained_at if previous else now,
                       refreshed_at=now if previous else None)


def token_dir() -> Path:
    configured = os.environ.get("CCCTL_TOKEN_DIR")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("ccctl", appauthor=False)) / "oauth-tokens"


def record_path(tenant_slug: str, user: str, token_url: str, client_id: str) -> Path:
    """One file per tenant, mailbox and application: another app registration needs a new consent."""
    digest = hashlib.sha256(f"{token_url}\n{client_id}\n{user.lower()}".encode()).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9@._-]", "_", user.lower())[:100]
    return token_dir() / tenant_slug / f"{name}-{digest}.json"


def _private_dir(folder: Path) -> None:
    """The tenant's folder and the token root above it: owner only."""
    for each in (folder.parent, folder):
        each.mkdir(parents=True, exist_ok=True, mode=0o700)
        if stat.S_IMODE(each.stat().st_mode) != 0o700:
            os.chmod(each, 0o700)


def load(path: Path) -> TokenRecord | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CcctlError(f"cannot read the token file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CcctlError(f"the token file {path} can be read by others (mode {stat.S_IMODE(mode):o}): "
                             f"treat its tokens as leaked, delete it and log in again")
        try:
            data = json.load(handle)
            return TokenRecord(**data)
        except (ValueError, TypeError):
            raise CcctlError(f"the token file {path} is damaged: delete it and log in again") from None


def save(path: Path, record: TokenRecord) -> None:
    _private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(record), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def locked(path: Path):
    """Hold the mailbox's refresh lock (blocking: the holder's HTTP calls all have timeouts)."""
    _private_dir(path.parent)
    fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
