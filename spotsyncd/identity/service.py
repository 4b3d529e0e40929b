"""The identity step the pipeline calls: MusicBrainz first (who the track is), then the
fingerprint (CPU) and AcoustID (is the audio that recording?).

``identity_for(config)`` builds it once per process, with one rate budget for every pipeline
and thread of the process: ``LocalPacer`` unless ``turn`` (a budget shared across processes)
is handed in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from spotsyncd import __version__
from spotsyncd.core.config import Config
from spotsyncd.core.models import Fingerprint, Identity, TrackMeta, Verdict
from spotsyncd.core.protocols import IdentityStep, LookupCache
from spotsyncd.identity import choose
from spotsyncd.identity.acoustid import AcoustidClient
from spotsyncd.identity.fingerprint import fingerprint
from spotsyncd.identity.musicbrainz import MusicBrainzClient
from spotsyncd.identity.pacing import ACOUSTID, MUSICBRAINZ, Breaker, LocalPacer, Turn
from spotsyncd.identity.verdict import judge
from spotsyncd.identity.web import NoAnswer, Service
from spotsyncd.system.http import PROJECT_URL, HttpClient

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0  # a lookup that takes longer leaves the track unverified, never slower


def user_agent(contact: str | None) -> str:
    """MusicBrainz's form: ``Application/version ( contact )``."""
    return f"spotsyncd/{__version__} ( {contact or PROJECT_URL} )"


class IdentityService:
    """The ``IdentityStep`` (core.protocols) over the two clients; either may be None (off)."""

    def __init__(
        self,
        *,
        musicbrainz: MusicBrainzClient | None,
        acoustid: AcoustidClient | None,
        ffmpeg: Path,
    ) -> None:
        self.musicbrainz = musicbrainz
        self.acoustid = acoustid
        self.ffmpeg = ffmpeg

    def recording_for(self, meta: TrackMeta, *, search: bool = True) -> Identity | None:
        if self.musicbrainz is None:
            return None
        try:
            if meta.isrc:
                found = choose.from_isrc(self.musicbrainz.by_isrc(meta.isrc), meta)
                if found is not None:
                    return found
            if search and meta.title and meta.artists:
                results = self.musicbrainz.search(meta.artists[0], meta.title, meta.duration_s)
                return choose.from_search(results, meta)
        except NoAnswer as exc:
            log.log(_level(exc), "MusicBrainz: no answer for %s (%s)", _named(meta), exc)
        return None

    @property
    def fingerprints(self) -> bool:
        return self.acoustid is not None

    def fingerprint(self, path: Path) -> Fingerprint | None:
        if self.acoustid is None:
            return None  # nobody to ask: no need to spend the CPU
        return fingerprint(self.ffmpeg, path)

    def check(
        self, fingerprint: Fingerprint | None, asked: Identity | None, meta: TrackMeta
    ) -> Identity:
        base = asked or Identity()
        if self.acoustid is None:
            return replace(base, verdict=Verdict.UNVERIFIED, reason=NO_KEY)
        if fingerprint is None:
            return replace(base, verdict=Verdict.UNVERIFIED, reason=NO_FINGERPRINT)
        try:
            results = self.acoustid.lookup(fingerprint)
        except NoAnswer as exc:
            log.log(_level(exc), "AcoustID: no answer for %s (%s)", _named(meta), exc)
            return replace(base, verdict=Verdict.UNVERIFIED, reason=f"{NO_ANSWER}{exc}")
        return judge(results, asked, meta)


# The reasons of an ``unverified`` verdict whose check was never made (``check_pending``).
NO_KEY = "no fingerprint check: acoustid.api_key is not set"
NO_FINGERPRINT = "the audio could not be fingerprinted"
NO_ANSWER = "no answer: "


def check_pending(identity: Identity | None) -> bool:
    """Whether AcoustID has yet to judge this track's audio: no identity, or an ``unverified``
    one from a check that was never made (no key then, no fingerprint, no answer: a refused
    key, the service down). ``retag --identify`` checks these again; an audio AcoustID was
    asked about and does not know is not asked again."""
    if identity is None:
        return True
    return identity.verdict == Verdict.UNVERIFIED and (
        identity.reason in (NO_KEY, NO_FINGERPRINT) or identity.reason.startswith(NO_ANSWER)
    )


def _level(exc: NoAnswer) -> int:
    """A service's failure is worth a warning once; while it rests, the skipped lookups are
    only information."""
    return logging.INFO if exc.resting else logging.WARNING


def _named(meta: TrackMeta) -> str:
    return " - ".join(x for x in (meta.artist, meta.title) if x) or "a track"


def identity_for(config: Config) -> Callable[[LookupCache, Turn | None], IdentityStep] | None:
    """The identity step's factory for ``config`` (None when both services are off). A step
    waits its turn on the budget it is built with (the one every process shares through the
    ledger, ``engine/resilience/budgets.py``), else on one ``LocalPacer`` of this process
    (one MusicBrainz request per second)."""
    if not config.musicbrainz.enabled and not config.acoustid.api_key:
        return None
    from spotsyncd.system.tools import find_ffmpeg

    ffmpeg = find_ffmpeg(config.download.ffmpeg).path
    pacer = LocalPacer()
    breaker = Breaker()
    http = HttpClient(timeout_s=TIMEOUT_S)
    agent = user_agent(config.musicbrainz.contact)

    def build(cache: LookupCache, turn: Turn | None = None) -> IdentityStep:
        # With a shared budget a 503 makes the caller sleep; the local pacer slows itself.
        slow_down = pacer.slow_down if turn is None else None

        def service(name: str) -> Service:
            return Service(name, http, agent, turn or pacer.turn, cache, breaker, slow_down)

        musicbrainz = (
            MusicBrainzClient(service(MUSICBRAINZ), config.musicbrainz.api_url)
            if config.musicbrainz.enabled else None
        )  # fmt: skip
        key = config.acoustid.api_key
        acoustid = AcoustidClient(service(ACOUSTID), config.acoustid.api_url, key) if key else None
        return IdentityService(musicbrainz=musicbrainz, acoustid=acoustid, ffmpeg=ffmpeg)

    return build
