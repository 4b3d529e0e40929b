"""What every media server client offers: ask for a scan (unless one runs), and diagnose."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Literal

from spotsyncd.core.config_media import MediaServerConfig
from spotsyncd.mediaservers.http import Response, ServerError, call, where
from spotsyncd.system.http import HttpClient

Status = Literal["ok", "warn", "fail"]
DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Finding:
    """One line of ``doctor`` about a server: what is true, and what to do if it is a problem."""

    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class SampleTrack:
    """A track spotsyncd filed, to check that the server lists it."""

    title: str
    artist: str | None
    path: str  # relative to the library, posix separators


@dataclass(frozen=True)
class ScanResult:
    started: bool  # False: the server was scanning already, so it was not asked again
    detail: str


class MediaServerClient:
    """The shared part: config, the library as the server sees it, one request helper."""

    kind = "server"

    def __init__(
        self, cfg: MediaServerConfig, library_dir: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.cfg = cfg
        self.library_dir = library_dir
        self.timeout_s = timeout_s
        self.http = HttpClient(timeout_s=timeout_s)

    @property
    def label(self) -> str:
        shown = where(self.cfg.url)
        return (
            f"{self.cfg.type} {shown}"
            if self.cfg.name == self.cfg.type
            else (f"{self.cfg.type} '{self.cfg.name}' ({shown})")
        )

    @property
    def library_path(self) -> str:
        """spotsyncd's library as the server sees it."""
        return self.cfg.library_path or str(self.library_dir)

    def request_scan(self) -> ScanResult:
        raise NotImplementedError

    def diagnose(self, samples: Sequence[SampleTrack]) -> list[Finding]:
        raise NotImplementedError

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return call(self.http, method, self.cfg.url + path, params=params, headers=headers)


def contains(folder: str, path: str) -> bool:
    """Whether the server folder ``folder`` holds ``path`` (both as the server spells them)."""
    if "\\" in folder or "\\" in path:
        inner, outer = PureWindowsPath(path), PureWindowsPath(folder)
        return inner == outer or outer in inner.parents
    outer_text, inner_text = folder.rstrip("/") or "/", path.rstrip("/") or "/"
    return inner_text == outer_text or inner_text.startswith(outer_text.rstrip("/") + "/")


def unreachable(exc: ServerError, url: str) -> Finding:
    """The finding for a server that could not be asked at all."""
    if exc.status is not None:
        return Finding(
            "fail", str(exc), f"check that {url} is the server's address (and base path)"
        )
    return Finding("fail", str(exc), f"start the server, or fix its url ({url}) in media_servers")
