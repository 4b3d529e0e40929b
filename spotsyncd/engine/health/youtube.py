"""YouTube's part of the set-up, as ``Check``s: the cookies file (read, Netscape format, YouTube
login cookies and when they expire) and the PO-token provider (installed, answering).

Plain functions of the configuration, so ``doctor`` runs them and so can a daily health canary;
``status``, the dashboard and the alerts read :func:`cookies_state` for the same verdict.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from importlib import metadata

from spotsyncd.core.config import Config
from spotsyncd.engine.health.checks import Check
from spotsyncd.sources.ytdlp.cookies import CookieState, cookie_state

POT_PLUGIN = "bgutil-ytdlp-pot-provider"
POT_DEFAULT_URL = "http://127.0.0.1:4416"  # the plugin's own default
_STATUS = {"ok": "ok", "no_login": "warn", "expiring": "warn", "expired": "fail", "error": "fail"}


def cookies_state(config: Config, now: float | None = None) -> CookieState | None:
    """The cookies file's verdict (None: no download.cookies_file set)."""
    path = config.download.cookies_file
    return None if path is None else cookie_state(path, now)


def cookie_checks(config: Config, now: float | None = None) -> Iterator[Check]:
    state = cookies_state(config, now)
    if state is None:
        yield Check(
            "cookies",
            "ok",
            "no cookies file configured (set download.cookies_file if YouTube asks to confirm "
            "you're not a bot)",
        )
        return
    path = config.download.cookies_file
    assert path is not None
    if state.state != "error":
        mode = path.stat().st_mode
        if mode & (stat.S_IROTH | stat.S_IRGRP):
            yield Check("cookies", "warn", f"{path} is readable by others", f"chmod 600 {path}")
    yield Check("cookies", _STATUS[state.state], state.message, state.fix)


def pot_provider_check(
    config: Config, *, get: Callable[[str], bytes] | None = None
) -> Iterator[Check]:
    """Whether the bgutil PO-token provider plugin is installed and its server answers
    ``GET /ping`` (with its version) at youtube.pot_provider_url or the plugin's default."""
    url = config.youtube.pot_provider_url
    try:
        plugin = metadata.version(POT_PLUGIN)
    except metadata.PackageNotFoundError:
        plugin = None
    if plugin is None:
        if url is None:
            yield Check(
                "po token provider",
                "ok",
                "not set up (optional: it helps when YouTube asks for PO tokens or bot checks)",
            )
        else:
            yield Check(
                "po token provider",
                "warn",
                f"youtube.pot_provider_url is set, but the yt-dlp plugin {POT_PLUGIN} is not "
                "installed: yt-dlp never asks the provider",
                "install the plugin into spotsyncd's venv (pip install "
                "bgutil-ytdlp-pot-provider: the extra spotsyncd[pot]), then restart",
            )
        return
    target = url or POT_DEFAULT_URL
    fetch = get or _get
    try:
        answer = json.loads(fetch(f"{target}/ping"))
        version = str(answer.get("version") or "unknown") if isinstance(answer, dict) else None
    except (OSError, ValueError) as exc:
        if url is None:  # the plugin alone, nothing set up: yt-dlp goes on without tokens
            yield Check(
                "po token provider",
                "ok",
                f"plugin {POT_PLUGIN} {plugin} installed; no provider runs at {target} "
                "(optional: see 'When YouTube breaks')",
            )
            return
        yield Check(
            "po token provider",
            "warn",
            f"youtube.pot_provider_url: no provider answers at {target}: {_short(exc)}",
            "start the provider (compose: 'docker compose --profile pot up -d'; or "
            "'docker run -d -p 127.0.0.1:4416:4416 brainicism/bgutil-ytdlp-pot-provider') "
            "or set youtube.pot_provider_url to where it runs",
        )
        return
    if version is None:
        yield Check(
            "po token provider",
            "warn",
            f"{target}/ping answered, but not as the bgutil provider does (no JSON object)",
            "check youtube.pot_provider_url",
        )
        return
    yield Check(
        "po token provider",
        "ok",
        f"plugin {POT_PLUGIN} {plugin}; the provider at {target} answers (version {version})",
    )


def _get(url: str) -> bytes:
    from spotsyncd.system.http import HttpClient, HttpError

    try:
        return HttpClient(timeout_s=5.0, max_bytes=64 * 1024).get(url).body
    except HttpError as exc:
        raise OSError(str(exc)) from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
