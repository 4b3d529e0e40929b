"""Run ``spotsyncd`` as a real process on a temp config, and watch its ledger and library."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from spotsyncd.ledger import Ledger
from tests.fakes.spotify_api import FakeSpotify
from tests.support import waiting

CLI = Path(sys.executable).parent / "spotsyncd"


def cli_command() -> list[str]:
    return [str(CLI)] if CLI.exists() else [sys.executable, "-m", "spotsyncd"]


class Env:
    """A user's world in a temp dir: HOME, config file, library, inbox, state."""

    def __init__(self, root: Path, **overrides: Any) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.library = root / "library"
        self.inbox = root / "inbox"
        self.state = root / "state"
        self.config_path = root / "config.yaml"
        config: dict[str, Any] = {
            "library_dir": str(self.library),
            "inbox_dir": str(self.inbox),
            "state_dir": str(self.state),
            "log_level": "debug",
            "download": {
                "workers": 2,
                "max_retries": 2,
                "backoff_seconds": 0.2,
                "timeout_seconds": 5,
                # no slow retries unless a test asks for them: a job fails after the fast ones
                "slow_retries": [],
            },
            # Off unless a test turns it on (tests/e2e/test_web.py): parallel daemons would
            # all want port 8642, and most tests are not about the web.
            "web": {"enabled": False},
            # No lookups on the real LRCLIB from tests; lyrics tests point it at a stand-in.
            "lyrics": {"enabled": False},
            # Nor on the real MusicBrainz (tests/e2e/test_identity.py uses a stand-in).
            "musicbrainz": {"enabled": False},
            # Every test serves its audio from loopback, which the daemon refuses by default
            # (tests/security/test_internal_fetches.py proves the default with a daemon).
            "network": {"allow_private": True},
            # No look at the package index for a newer yt-dlp, no daily source canaries (they
            # would reach the real YouTube Music): the tests about them turn them on.
            "extractors": {"auto_update": "false"},
            "sources": {"first_check_after": "1d"},
        }
        for key, value in overrides.items():
            if isinstance(value, dict):
                config.setdefault(key, {}).update(value)
            else:
                config[key] = value
        self.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.ledger_url: str | None = config.get("ledger", {}).get("url")
        self.library.mkdir(exist_ok=True)
        self.inbox.mkdir(exist_ok=True)

    def environ(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SPOTSYNCD_", "SPOTIFY_", "NOTIFY_SOCKET", "JOURNAL_STREAM"))
            and k not in ("OUTPUT_DIR", "DOWNLOAD_QUALITY", "MAX_RETRIES")
        }
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            SPOTSYNCD_CONFIG=str(self.config_path),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def cli(
        self, *args: str, check: bool = False, timeout: float = 60, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*cli_command(), *args],
            env=self.environ(**extra),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"spotsyncd {' '.join(args)} → {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def status(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.cli("status", "--json", check=True).stdout)
        return data

    def drop(self, name: str, lines: list[str]) -> Path:
        """Write a link file the way a careful user does: temp name, then rename in."""
        tmp = self.inbox / f".{name}.part"
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        final = self.inbox / name
        os.replace(tmp, final)
        return final

    def ledger(self) -> Ledger:
        return Ledger(self.ledger_url or self.state / "ledger.sqlite3")

    def counts(self) -> dict[str, int]:
        if not self.ledger_url and not (self.state / "ledger.sqlite3").exists():
            return {}
        ledger = self.ledger()
        try:
            return ledger.counts()
        finally:
            ledger.close()

    def library_files(self) -> list[Path]:
        return sorted(p for p in self.library.rglob("*") if p.is_file())


class Daemon:
    def __init__(
        self, env: Env, *, extra_env: dict[str, str] | None = None, command: list[str] | None = None
    ) -> None:
        self.env = env
        self.log_path = env.root / f"daemon-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            command or [*cli_command(), "run"],
            env=env.environ(**(extra_env or {})),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 20) -> None:
        wait_for(lambda: "ready:" in self.output(), timeout, self, what="daemon to log 'ready'")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> float:
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired as exc:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError(
                    f"daemon did not stop within {timeout}s\n{self.output()}"
                ) from exc
        self._log.close()
        return time.monotonic() - started

    def kill9(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        if not self._log.closed:
            self._log.close()


def wait_for(
    predicate: Callable[[], Any],
    timeout: float,
    daemon: Daemon | None = None,
    *,
    what: str | None = None,
    interval: float = 0.1,
) -> Any:
    """``tests.support.waiting.wait_for`` that watches ``daemon`` too: it gives up as soon as
    the daemon has exited, and a failure shows the end of its log."""

    def exited() -> str | None:
        if daemon is None or daemon.proc.poll() is None:
            return None
        return f"daemon exited ({daemon.proc.returncode})"

    return waiting.wait_for(
        predicate,
        timeout,
        what=what,
        interval=interval,
        details=(lambda: daemon.output()[-5000:]) if daemon is not None else None,
        give_up=exited,
    )


def spotify_env(root: Path, fake: FakeSpotify, **overrides: Any) -> Env:
    """A user whose config points spotsyncd's Spotify source at the loopback fake."""
    settings = {
        "client_id": fake.client_id, "client_secret": fake.client_secret,
        "api_url": fake.api_url, "token_url": fake.token_url,
        "auth_url": fake.auth_url, "embed_url": fake.embed_url,
    }  # fmt: skip
    settings.update(overrides.pop("spotify", {}))
    return Env(root, spotify=settings, **overrides)


def canned_search_daemon(env: Env, search_file: Path, *args: str) -> Daemon:
    """The real daemon (``args``: ``worker N``, a worker of N threads), with search results
    read from ``search_file`` (see the launcher)."""
    return Daemon(env, command=[sys.executable, "-m", "tests.e2e.canned_search_daemon", *args],
                  extra_env={"FAKE_SEARCH_FILE": str(search_file),
                             "PYTHONPATH": str(Path(__file__).resolve().parents[2])})  # fmt: skip
