"""Navidrome (or any Subsonic server) through the Subsonic API, with salted-token auth.

Every call is ``GET /rest/<method>`` with ``u`` (user), ``t`` = md5(password + salt), ``s`` (a
fresh random salt per request, so the password never travels), ``v``, ``c`` and ``f=json``. The
answer is ``{"subsonic-response": {"status": "ok" | "failed", "error": {"code", "message"}, …}}``
(HTTP 200 either way). ``getScanStatus``/``startScan`` answer ``scanStatus: {scanning, count}``.
The API does not say which folder the server scans, so ``diagnose`` looks for tracks spotsyncd
filed with ``search3`` instead.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from spotsyncd.mediaservers.base import (
    Finding,
    MediaServerClient,
    SampleTrack,
    ScanResult,
    unreachable,
)
from spotsyncd.mediaservers.http import ServerError

API_VERSION = "1.16.1"
CLIENT = "spotsyncd"
# Subsonic error codes: 40 wrong user/password, 41 token auth not supported (LDAP users),
# 44 invalid API key (OpenSubsonic), 50 the user may not do this.
CREDENTIAL_CODES = frozenset({40, 41, 44})
NOT_ALLOWED = 50


class SubsonicError(ServerError):
    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


class SubsonicClient(MediaServerClient):
    kind = "navidrome"

    def auth_params(self) -> dict[str, str]:
        cfg = self.cfg
        if cfg.password:
            salt = secrets.token_hex(8)
            token = hashlib.md5((cfg.password + salt).encode("utf-8")).hexdigest()  # noqa: S324
        else:
            salt, token = cfg.salt or "", cfg.token or ""
        return {
            "u": cfg.user or "",
            "t": token,
            "s": salt,
            "v": API_VERSION,
            "c": CLIENT,
            "f": "json",
        }

    def api(self, method: str, **extra: str) -> dict[str, Any]:
        """The ``subsonic-response`` of ``method``; SubsonicError when it says ``failed``."""
        answer = self._call("GET", f"/rest/{method}", params={**self.auth_params(), **extra})
        data = answer.json(f"{self.label} ({method})")
        body = data.get("subsonic-response") if isinstance(data, dict) else None
        if not isinstance(body, dict):
            raise ServerError(f"{self.label} ({method}) did not answer like a Subsonic server")
        if body.get("status") != "ok":
            found = body.get("error")
            error: dict[str, Any] = found if isinstance(found, dict) else {}
            code = error.get("code") if isinstance(error.get("code"), int) else None
            message = str(error.get("message") or "no reason given")
            raise SubsonicError(f"{self.label} refused {method}: {message} (code {code})", code)
        return body

    def request_scan(self) -> ScanResult:
        status = self.api("getScanStatus").get("scanStatus") or {}
        if status.get("scanning") is True:
            return ScanResult(False, f"already scanning ({status.get('count', '?')} files so far)")
        self.api("startScan")
        return ScanResult(True, "library scan started")

    def diagnose(self, samples: Sequence[SampleTrack]) -> list[Finding]:
        try:
            pong = self.api("ping")
        except SubsonicError as exc:
            if exc.code in CREDENTIAL_CODES:
                return [
                    Finding(
                        "fail",
                        f"credentials refused: {exc}",
                        f"check user and password (or token + salt) of {self.cfg.name!r} in "
                        "media_servers",
                    )
                ]
            return [Finding("fail", str(exc), "check the server's log")]
        except ServerError as exc:
            return [unreachable(exc, self.cfg.url)]
        server = f"{pong.get('type', 'subsonic')} {pong.get('serverVersion', '')}".strip()
        findings = [Finding("ok", f"reachable ({server}), credentials accepted")]
        try:
            scanning = (self.api("getScanStatus").get("scanStatus") or {}).get("scanning")
            state = "scanning now" if scanning else "idle"
            detail = f"scan status: {state} (starting a scan needs an admin user)"
            findings.append(Finding("ok", detail))
        except SubsonicError as exc:
            fix = "give this user admin rights (Navidrome lets only admins start scans)"
            findings.append(Finding("fail", str(exc), fix if exc.code == NOT_ALLOWED else ""))
        except ServerError as exc:
            findings.append(Finding("fail", str(exc)))
        findings.append(self._library_check(samples))
        return findings

    def _library_check(self, samples: Sequence[SampleTrack]) -> Finding:
        if not samples:
            return Finding(
                "ok",
                "nothing filed yet, so it cannot be checked that it scans the library",
                "run doctor again once tracks are done",
            )
        for sample in samples:
            try:
                found = self.api(
                    "search3", query=sample.title, songCount="20", albumCount="0", artistCount="0"
                )
            except ServerError as exc:
                return Finding("warn", f"cannot search it: {exc}")
            songs = (found.get("searchResult3") or {}).get("song") or []
            for song in songs if isinstance(songs, list) else []:
                if _same(song, sample):
                    return Finding(
                        "ok",
                        f"lists tracks spotsyncd filed (e.g. {sample.path!r}): it scans "
                        "the library",
                    )
        return Finding(
            "warn",
            f"does not list tracks spotsyncd filed (e.g. {samples[0].path!r}): its music folder "
            f"may not include {self.library_path}, or it has not scanned since",
            "mount the library into Navidrome's music folder (ND_MUSICFOLDER), then run "
            "'spotsyncd media-servers test' and doctor again",
        )


def _same(song: Any, sample: SampleTrack) -> bool:
    if (
        not isinstance(song, dict)
        or str(song.get("title", "")).casefold() != sample.title.casefold()
    ):
        return False
    if sample.artist is None:
        return True
    artist = str(song.get("artist", "")).casefold()
    return bool(artist) and (
        artist in sample.artist.casefold() or sample.artist.casefold() in artist
    )
