"""Is the downloaded audio the recording asked for? The pipeline's identity step.

MusicBrainz names the recording (by ISRC, else by artist, title and length), the fingerprint
of the download (taken by the encode from its own decode, in the CPU slot that processes it)
is looked up on AcoustID, and
``identity.verdict`` judges. The lookups hold no download or CPU slot while they wait on the
services' rate budget. A **mismatch** on audio the matcher chose is never filed: the next
ranked candidates are downloaded and checked (at most ``MAX_TRIES`` in all); when none is
verified or unverified, the track goes to ``review`` with its candidates as checked. Audio the
user chose (a link, a manual match, an accepted review) is filed whatever the verdict, without
the MusicBrainz IDs of a recording it is not.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from spotsyncd.core.errors import ReviewNeededError
from spotsyncd.core.models import (
    Downloaded,
    Identity,
    Processed,
    Progress,
    Source,
    TrackMeta,
    Verdict,
)
from spotsyncd.core.protocols import IdentityStep
from spotsyncd.engine.jobs.stages import Stages, cpu_step, io_step, timed
from spotsyncd.ledger import TrackRow

log = logging.getLogger(__name__)

MAX_TRIES = 3  # the matcher's choice and the next two candidates


class Staged(Protocol):
    @property
    def downloaded(self) -> Downloaded: ...
    @property
    def meta(self) -> TrackMeta: ...
    @property
    def audio_url(self) -> str: ...
    @property
    def identity(self) -> Identity | None: ...


class Made(Protocol):
    @property
    def processed(self) -> Processed: ...


F = TypeVar("F", bound=Staged)
P = TypeVar("P", bound=Made, covariant=True)


class Fetcher(Protocol[F, P]):
    def fetch_other(
        self,
        track: TrackRow,
        fetched: F,
        url: str,
        attempt: int,
        cancel: threading.Event,
        progress: Callable[[Progress], None] | None,
        timings: dict[str, float],
    ) -> F: ...

    @property
    def ledger(self) -> Any: ...

    def process(
        self,
        track: TrackRow,
        fetched: F,
        cancel: threading.Event,
        timings: dict[str, float],
        *,
        fingerprint: bool = False,
    ) -> P: ...


def verify(
    pipeline: Fetcher[F, P],
    step: IdentityStep,
    track: TrackRow,
    fetched: F,
    cancel: threading.Event,
    progress: Callable[[Progress], None] | None,
    stages: Stages | None,
    timings: dict[str, float],
) -> tuple[F, P]:
    """``fetched`` with its identity, or another candidate's audio that is not a mismatch,
    and what ``pipeline.process`` made of it; raises ``ReviewNeededError`` when every
    candidate tried was another recording.

    The first audio is processed before it is checked: the encode takes the fingerprint from
    its own decode (``media.audio``: no second decode, no second process); a stream copy has
    none, and a separate ffmpeg takes it then. After a mismatch the next candidates are
    checked first, by that separate ffmpeg (a few tenths of a CPU-second), and only audio that
    is no mismatch is processed: a wrong candidate no longer costs a whole encode."""
    if progress is not None:
        progress(Progress(stage="identifying"))
    with timed(timings, "identify"):
        # With AcoustID on, a track whose ISRC names no recording is not searched for yet:
        # the fingerprint usually names it (one MusicBrainz request a track, not two, at its
        # 1 request/s); the search comes after, only for audio AcoustID could not name.
        asked = step.recording_for(fetched.meta, search=not step.fingerprints)
    matcher_chose = track.source in (Source.SPOTIFY, Source.SEARCH) and not track.override_url
    checked: dict[str, Identity] = {}
    current = fetched
    while True:
        processing: P | None = None
        with cpu_step(stages, cancel, timings):
            if not checked:  # the usual case: one encode, the fingerprint taken inside it
                processing = pipeline.process(track, current, cancel, timings,
                                              fingerprint=step.fingerprints)  # fmt: skip
                fingerprint = processing.processed.fingerprint
            else:
                fingerprint = None
            if fingerprint is None and step.fingerprints:
                with timed(timings, "fingerprint"):
                    fingerprint = step.fingerprint(current.downloaded.path)
        with timed(timings, "identify"):
            identity = step.check(fingerprint, asked, current.meta)
            identity = named_by_search(step, asked, identity, current.meta)
        checked[current.audio_url] = identity
        if identity.verdict != Verdict.MISMATCH or not matcher_chose:
            if processing is None:  # checked first: processed now that it is to be filed
                with cpu_step(stages, cancel, timings):
                    processing = pipeline.process(track, current, cancel, timings)
            if identity.verdict != Verdict.MISMATCH:
                return replace(current, identity=identity), processing  # type: ignore[type-var]
            log.warning("%s: %s; filed as chosen", track.key, identity.reason)
            chosen = replace(current, identity=as_chosen(identity))  # type: ignore[type-var]
            return chosen, processing
        log.warning("%s: %s (%s)", track.key, identity.reason, current.audio_url)
        candidates = pipeline.ledger.candidates(track.key)
        following = [c for c in candidates if c.get("url") and c["url"] not in checked]
        if len(checked) >= MAX_TRIES or not following:
            raise ReviewNeededError(
                f"no candidate's audio is the recording asked for ({len(checked)} checked; "
                f"last: {identity.reason}); pick one with 'spotsyncd match {track.key} URL' "
                "or accept the first from the dashboard or the API",
                checked=_annotated(candidates, checked),
                identity=identity,
            )
        with io_step(stages, cancel, timings):
            current = pipeline.fetch_other(
                track, current, str(following[0]["url"]), len(checked) + 1, cancel, progress,
                timings,
            )  # fmt: skip


def named_by_search(
    step: IdentityStep, asked: Identity | None, identity: Identity, meta: TrackMeta
) -> Identity:
    """``identity``, or when its audio is unverified and its ISRC named no recording (looked
    up with ``search=False`` because AcoustID was to be asked first), the recording the
    MusicBrainz search by artist, title and length names, for the tags (the verdict stays:
    nothing checked the audio against it)."""
    if asked is not None or identity.verdict != Verdict.UNVERIFIED or not step.fingerprints:
        return identity
    found = step.recording_for(meta)
    if found is None:
        return identity
    return replace(found, verdict=identity.verdict, reason=identity.reason,
                   acoustid_id=identity.acoustid_id,
                   acoustid_score=identity.acoustid_score)  # fmt: skip


def as_chosen(identity: Identity) -> Identity:
    """A mismatch filed because the user chose the audio: its verdict stays, the IDs of the
    recording asked for go (the audio is not that recording); the AcoustID ID stays."""
    return Identity(
        verdict=identity.verdict,
        reason=f"{identity.reason}; filed as chosen",
        acoustid_id=identity.acoustid_id,
        acoustid_score=identity.acoustid_score,
    )


def _annotated(
    candidates: list[dict[str, Any]], checked: dict[str, Identity]
) -> list[dict[str, Any]]:
    """The ranked candidates, each checked one with its verdict and why."""
    out = []
    for candidate in candidates:
        found = checked.get(str(candidate.get("url")))
        if found is not None:
            candidate = {**candidate, "verdict": str(found.verdict), "verdict_reason": found.reason}
        out.append(candidate)
    return out
