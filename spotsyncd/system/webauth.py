"""The web API's secrets, kept in the state dir with mode 0600: the bearer token, one-time login
codes, sessions and short-lived tickets.

- ``web-token``: 32 random bytes (URL-safe base64). Made on first use; ``rotate_token`` replaces
  it, which ends every session and ticket (they are signed with it) and every unused login code.
- ``web-login.json``: one-time login codes (only their SHA-256 is stored) with an expiry; a code
  is deleted the moment it is used. The CLI writes them, the daemon consumes them. A wrong code
  changes nothing on disk.
- A session is ``v2.<issued>.<nonce>.<hmac>``: the dashboard keeps it in the browser's
  ``localStorage`` (scoped to this origin, port included) and sends it as ``Authorization:
  Session …``. Never a cookie: browsers share cookies between every port of a host, so any other
  local server a browser visits would receive it. It lives ``SESSION_TTL_S``, survives daemon
  restarts, dies with the token, and logging out revokes it (``web-sessions.json``).
- A ticket is ``t1.<expires>.<hmac>``, made for a session or token holder, for what a browser
  cannot send a header with (the event stream, an ``<audio>`` source): it lasts ``TICKET_TTL_S``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

TOKEN_FILE = "web-token"
LOGIN_FILE = "web-login.json"
REVOKED_FILE = "web-sessions.json"
LOGIN_TTL_S = 10 * 60
SESSION_TTL_S = 30 * 86400
TICKET_TTL_S = 10 * 60
FAILED_LOGINS_PER_MINUTE = 10


class TokenStore:
    """Reads the token file again only when it changed (``web token --rotate`` from the CLI)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._cached: tuple[int, int, str] | None = None  # (mtime_ns, inode, token)

    @property
    def path(self) -> Path:
        return self.state_dir / TOKEN_FILE

    def token(self) -> str:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return load_or_create_token(self.state_dir)
        if self._cached and self._cached[:2] == (info.st_mtime_ns, info.st_ino):
            return self._cached[2]
        token = load_or_create_token(self.state_dir)
        self._cached = (info.st_mtime_ns, info.st_ino, token)
        return token


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (0600 from birth)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def load_or_create_token(state_dir: Path) -> str:
    path = state_dir / TOKEN_FILE
    with _locked(state_dir):
        try:
            token = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            token = ""
        if len(token) < 32:
            token = secrets.token_urlsafe(32)
            write_private(path, token + "\n")
        elif path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # someone loosened it: the token must stay private
    return token


def rotate_token(state_dir: Path) -> str:
    """A new token: the old one, every session, every ticket and every unused login code stop
    working at once."""
    token = secrets.token_urlsafe(32)
    with _locked(state_dir):
        write_private(state_dir / TOKEN_FILE, token + "\n")
        for name in (LOGIN_FILE, REVOKED_FILE):
            with contextlib.suppress(FileNotFoundError):
                (state_dir / name).unlink()
    return token


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(state_dir / ".web-auth.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _read_codes(path: Path, now: float) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float) and v > now}


def new_login_code(state_dir: Path, *, ttl_s: float = LOGIN_TTL_S) -> str:
    """A one-time login code, valid for ``ttl_s`` seconds."""
    code = secrets.token_urlsafe(24)
    now = time.time()
    path = state_dir / LOGIN_FILE
    with _locked(state_dir):
        codes = _read_codes(path, now)
        codes[_digest(code)] = now + ttl_s
        write_private(path, json.dumps(codes))
    return code


def _read_raw(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def consume_login_code(state_dir: Path, code: str) -> bool:
    """True once for a valid, unexpired code; the code is gone afterwards. A wrong code writes
    nothing (only a used code, or codes found expired, change the file)."""
    if not code or len(code) > 200:
        return False
    now = time.time()
    path = state_dir / LOGIN_FILE
    with _locked(state_dir):
        stored = _read_raw(path)
        codes = _read_codes(path, now)
        found = codes.pop(_digest(code), None) is not None
        if found or len(codes) != len(stored):
            write_private(path, json.dumps(codes))
    return found


def _mac(token: str, message: str) -> str:
    return hmac.new(token.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def new_session(token: str, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    nonce = secrets.token_urlsafe(12)
    return f"v2.{issued}.{nonce}.{_mac(token, f'session:{issued}:{nonce}')}"


def _session_parts(value: str) -> tuple[int, str, str] | None:
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != "v2" or not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    return int(parts[1]), parts[2], parts[3]


def valid_session(
    token: str, value: str, *, now: float | None = None, state_dir: Path | None = None
) -> bool:
    """Signed with ``token``, not expired, and (given ``state_dir``) not logged out."""
    parts = _session_parts(value)
    if parts is None:
        return False
    issued, nonce, mac = parts
    now = time.time() if now is None else now
    if not issued - 60 <= now <= issued + SESSION_TTL_S:
        return False
    if not hmac.compare_digest(mac, _mac(token, f"session:{issued}:{nonce}")):
        return False
    return state_dir is None or nonce not in _revoked(state_dir, now)


def _revoked(state_dir: Path, now: float) -> dict[str, float]:
    path = state_dir / REVOKED_FILE
    return {
        k: float(v) for k, v in _read_raw(path).items() if isinstance(v, int | float) and v > now
    }


def revoke_session(state_dir: Path, value: str) -> bool:
    """Log a session out for good (until it would have expired anyway)."""
    parts = _session_parts(value)
    if parts is None:
        return False
    issued, nonce, _ = parts
    now = time.time()
    with _locked(state_dir):
        revoked = _revoked(state_dir, now)
        revoked[nonce] = issued + SESSION_TTL_S
        write_private(state_dir / REVOKED_FILE, json.dumps(revoked))
    return True


def new_ticket(token: str, *, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + TICKET_TTL_S)
    return f"t1.{expires}.{_mac(token, f'ticket:{expires}')}"


def valid_ticket(token: str, value: str, *, now: float | None = None) -> bool:
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != "t1" or not parts[1].isdigit() or len(parts[1]) > 12:
        return False
    expires = int(parts[1])
    now = time.time() if now is None else now
    if not now <= expires <= now + TICKET_TTL_S + 60:
        return False
    return hmac.compare_digest(parts[2], _mac(token, f"ticket:{expires}"))


def token_matches(token: str, given: str) -> bool:
    return hmac.compare_digest(token.encode("utf-8"), given.encode("utf-8"))


class FailedLogins:
    """Wrong login codes in the last minute: past the limit, /login answers 429 without looking
    (a code has 192 bits, but nobody needs to try more than a few)."""

    def __init__(self, limit: int = FAILED_LOGINS_PER_MINUTE, window_s: float = 60.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def _trim(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.window_s:
            self._times.popleft()

    def blocked(self) -> bool:
        with self._lock:
            self._trim(time.monotonic())
            return len(self._times) >= self.limit

    def failed(self) -> None:
        with self._lock:
            self._times.append(time.monotonic())
