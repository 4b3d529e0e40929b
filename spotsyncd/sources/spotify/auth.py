"""Spotify credentials: token caches, spotipy auth managers and the loopback login.

Tokens are secrets: the user token lives only in the token-cache file (mode 0600, written
atomically), client-credentials tokens only in memory, and neither appears in a message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from spotipy.cache_handler import CacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyPKCE

from spotsyncd.core.config import SpotifyConfig
from spotsyncd.core.errors import AuthError, UserError

SCOPES = "playlist-read-private playlist-read-collaborative user-library-read"
TOKEN_TIMEOUT_S = 15.0


class MemoryTokenCache(CacheHandler):  # type: ignore[misc]
    """Client-credentials tokens: cheap to fetch again, so never written anywhere."""

    def __init__(self) -> None:
        self._token: dict[str, Any] | None = None

    def get_cached_token(self) -> dict[str, Any] | None:
        return self._token

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        self._token = dict(token_info)


class FileTokenCache(CacheHandler):  # type: ignore[misc]
    """The user's token in one JSON file, created 0600 and replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get_cached_token(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("refresh_token") else None

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkstemp creates the file 0600, so the token is never readable by others, not even
        # for an instant; os.replace makes the new token appear all at once.
        fd, tmp = tempfile.mkstemp(prefix=".spotify-token-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(token_info, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def has_login(self) -> bool:
        return self.get_cached_token() is not None


class _NonInteractivePKCE(SpotifyPKCE):  # type: ignore[misc]
    """PKCE that never prompts: spotipy would read a URL from stdin when no token is cached."""

    def get_authorization_code(self, response: str | None = None) -> str:
        raise AuthError("Spotify login missing: run 'spotsyncd auth spotify'")


def client_credentials_manager(cfg: SpotifyConfig, session: Any) -> SpotifyClientCredentials:
    manager = SpotifyClientCredentials(
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        cache_handler=MemoryTokenCache(),
        requests_session=session,
        requests_timeout=TOKEN_TIMEOUT_S,
    )
    manager.OAUTH_TOKEN_URL = cfg.token_url  # per instance: tests and proxies point elsewhere
    return manager


def redirect_uri(cfg: SpotifyConfig) -> str:
    return f"http://127.0.0.1:{cfg.redirect_port}/callback"


def pkce_manager(cfg: SpotifyConfig, cache: FileTokenCache, session: Any) -> SpotifyPKCE:
    manager = _NonInteractivePKCE(
        client_id=cfg.client_id,
        redirect_uri=redirect_uri(cfg),
        scope=SCOPES,
        cache_handler=cache,
        requests_session=session,
        open_browser=False,
        requests_timeout=TOKEN_TIMEOUT_S,
    )
    manager.OAUTH_TOKEN_URL = cfg.token_url
    manager.OAUTH_AUTHORIZE_URL = cfg.auth_url
    return manager


def wait_for_callback(
    manager: SpotifyPKCE,
    port: int,
    *,
    open_browser: bool,
    timeout_s: float,
    show_url: Callable[[str], None],
) -> str:
    """Run the loopback redirect target until the browser comes back; returns the code."""
    state = secrets.token_urlsafe(16)
    answer: dict[str, str] = {}

    class _Callback(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the query holds the authorization code: keep it out of the logs

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            if url.path != "/callback":
                self._reply(404, "Not the Spotify callback.")
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            answer.update(query)
            ok = "code" in query and query.get("state") == state
            if ok:
                self._reply(200, "Spotify login done: you can close this tab.")
            else:
                self._reply(400, "Spotify login failed: see the terminal.")

        def _reply(self, status: int, text: str) -> None:
            body = f"<!doctype html><title>spotsyncd</title><p>{text}</p>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    try:
        server = HTTPServer(("127.0.0.1", port), _Callback)
    except OSError as exc:
        raise UserError(
            f"cannot listen on 127.0.0.1:{port} for the Spotify login ({exc.strerror}): "
            "free that port or set spotify.redirect_port"
        ) from None
    with server:
        url = manager.get_authorize_url(state=state)
        show_url(url)
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        deadline = time.monotonic() + timeout_s
        while not answer and time.monotonic() < deadline:
            server.timeout = max(0.05, min(0.5, deadline - time.monotonic()))
            server.handle_request()
    if not answer:
        raise AuthError(f"no answer from the browser within {timeout_s:.0f} s: run it again")
    if "error" in answer:
        raise AuthError(f"Spotify login was refused ({answer['error']})")
    if answer.get("state") != state:
        raise AuthError("Spotify login answer did not match this login attempt: run it again")
    if "code" not in answer:
        raise AuthError("Spotify login answer had no authorization code: run it again")
    return answer["code"]


class RedactSpotipyDebug(logging.Filter):
    """spotipy logs request headers and token bodies at DEBUG: drop those records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def quiet_spotipy_debug_logs() -> None:
    """Install the filter once on spotipy's own loggers (idempotent)."""
    for name in ("spotipy.client", "spotipy.oauth2"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSpotipyDebug) for f in logger.filters):
            logger.addFilter(RedactSpotipyDebug())
