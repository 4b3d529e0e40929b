"""Plex Media Server through its HTTP API, with an ``X-Plex-Token``.

``GET /library/sections`` answers XML: ``<MediaContainer><Directory key="3" type="artist"
title="Music" refreshing="0"><Location id="3" path="/data/music"/></Directory>…``. spotsyncd
refreshes the section whose ``Location`` holds the library (or the configured ``section``, a key
or title) with ``GET /library/sections/{key}/refresh?path=<library>`` (a partial scan of just
that folder), and not while the section says ``refreshing="1"``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from spotsyncd.mediaservers.base import (
    Finding,
    MediaServerClient,
    SampleTrack,
    ScanResult,
    contains,
    unreachable,
)
from spotsyncd.mediaservers.http import ServerError


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    type: str
    refreshing: bool
    locations: tuple[str, ...]


def parse_sections(root: ET.Element) -> list[Section]:
    return [
        Section(
            key=d.get("key", ""),
            title=d.get("title", ""),
            type=d.get("type", ""),
            refreshing=d.get("refreshing") in ("1", "true"),
            locations=tuple(p for loc in d.findall("Location") if (p := loc.get("path"))),
        )
        for d in root.findall("Directory")
        if d.get("key")
    ]


class PlexClient(MediaServerClient):
    kind = "plex"

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-Plex-Token": self.cfg.token or "",
            "X-Plex-Product": "spotsyncd",
            "X-Plex-Client-Identifier": "spotsyncd",
            "Accept": "application/xml",
        }

    def sections(self) -> list[Section]:
        answer = self._call("GET", "/library/sections", headers=self.headers)
        return parse_sections(answer.xml(f"{self.label} (/library/sections)"))

    def pick(self, sections: Sequence[Section]) -> Section | None:
        """The configured section, else the one whose folder holds the library (music first)."""
        wanted = self.cfg.section
        if wanted:
            return next(
                (s for s in sections if s.key == wanted or s.title.casefold() == wanted.casefold()),
                None,
            )
        holding = [
            s for s in sections if any(contains(loc, self.library_path) for loc in s.locations)
        ]
        holding.sort(key=lambda s: s.type != "artist")
        return holding[0] if holding else None

    def request_scan(self) -> ScanResult:
        section = self.pick(self.sections())
        if section is None:
            raise ServerError(f"{self.label}: {self._missing()}")
        if section.refreshing:
            return ScanResult(False, f"section {section.title!r} is refreshing already")
        inside = any(contains(loc, self.library_path) for loc in section.locations)
        self._call(
            "GET",
            f"/library/sections/{section.key}/refresh",
            params={"path": self.library_path} if inside else None,
            headers=self.headers,
        )
        what = f"{self.library_path} in " if inside else ""
        return ScanResult(True, f"refresh of {what}section {section.title!r} started")

    def _missing(self) -> str:
        if self.cfg.section:
            return f"no library section with key or title {self.cfg.section!r}"
        return f"no library section's folders contain {self.library_path}"

    def diagnose(self, samples: Sequence[SampleTrack]) -> list[Finding]:
        try:
            sections = self.sections()
        except ServerError as exc:
            if exc.status in (401, 403):
                return [
                    Finding(
                        "fail",
                        f"token refused: {exc}",
                        f"find your X-Plex-Token (Plex support: 'Finding an authentication "
                        f"token') and put it in media_servers as token of {self.cfg.name!r}",
                    )
                ]
            return [unreachable(exc, self.cfg.url)]
        findings = [Finding("ok", f"reachable, token accepted (library sections: {len(sections)})")]
        section = self.pick(sections)
        if section is None:
            seen = "; ".join(f"{s.key} {s.title!r}: {', '.join(s.locations)}" for s in sections)
            return [
                *findings,
                Finding(
                    "fail",
                    f"{self._missing()} (sections: {seen or 'none'})",
                    "add the library folder to a Plex music library, or set section / "
                    f"library_path of {self.cfg.name!r} (library_path: the path Plex sees)",
                ),
            ]
        holding = [loc for loc in section.locations if contains(loc, self.library_path)]
        if not holding:
            return [
                *findings,
                Finding(
                    "warn",
                    f"section {section.title!r} scans {', '.join(section.locations)}, which does "
                    f"not hold {self.library_path}: spotsyncd refreshes the whole section",
                    f"set library_path of {self.cfg.name!r} to the library's path as Plex sees it",
                ),
            ]
        return [
            *findings,
            Finding(
                "ok",
                f"section {section.title!r} (key {section.key}) scans {holding[0]}, which holds "
                f"{self.library_path}",
            ),
        ]
