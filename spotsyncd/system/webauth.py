"""The web API's secrets, kept in the state dir with mode 0600: the bearer token, one-time login
codes, and signed session cookies.

- ``web-token``: 32 random bytes (URL-safe base64). Made on first use; ``rotate_token`` replaces
  it, which also ends every session (sessions are signed with it).
- ``web-login.json``: one-time login codes (only their SHA-256 is stored) with an expiry; a code
  is deleted the moment it is used. The CLI writes them, the daemon consumes them.
- A session cookie is ``v1.<issued>.<hmac>``: it lives ``SESSION_TTL_S``, survives daemon
  restarts and dies with the token.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

TOKEN_FILE = "web-token"
LOGIN_FILE = "web-login.json"
LOGIN_TTL_S = 10 * 60
SESSION_TTL_S = 30 * 86400


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


def _write_private(path: Path, text: str) -> None:
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
            _write_private(path, token + "\n")
        elif path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # someone loosened it: the token must stay private
    return token


def rotate_token(state_dir: Path) -> str:
    """A new token: the old one and every session cookie stop working at once."""
    token = secrets.token_urlsafe(32)
    with _locked(state_dir):
        _write_private(state_dir / TOKEN_FILE, token + "\n")
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
        _write_private(path, json.dumps(codes))
    return code


def consume_login_code(state_dir: Path, code: str) -> bool:
    """True once for a valid, unexpired code; the code is gone afterwards."""
    if not code or len(code) > 200:
        return False
    now = time.time()
    path = state_dir / LOGIN_FILE
    with _locked(state_dir):
        codes = _read_codes(path, now)
        found = codes.pop(_digest(code), None) is not None
        if found or path.exists():
            _write_private(path, json.dumps(codes))
    return found


def _sign(token: str, issued: int) -> str:
    mac = hmac.new(token.encode("utf-8"), f"session:{issued}".encode(), hashlib.sha256)
    return mac.hexdigest()


def new_session(token: str, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return f"v1.{issued}.{_sign(token, issued)}"


def valid_session(token: str, value: str, *, now: float | None = None) -> bool:
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != "v1" or not parts[1].isdigit():
        return False
    issued = int(parts[1])
    now = time.time() if now is None else now
    if not issued - 60 <= now <= issued + SESSION_TTL_S:
        return False
    return hmac.compare_digest(parts[2], _sign(token, issued))


def token_matches(token: str, given: str) -> bool:
    return hmac.compare_digest(token.encode("utf-8"), given.encode("utf-8"))
