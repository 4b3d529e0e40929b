"""Find the recording a track names: ask the searchers, score with ``matching.score``, decide.

Used for Spotify tracks (wanted: Spotify's metadata) and free-text search lines (wanted: the
artist and title the user typed). The searchers are asked in order (YouTube Music, then the
YouTube Data API when a key is set, then yt-dlp's YouTube search), each with the queries of
``build_queries`` until a candidate reaches the threshold. Below it the track fails with
``no_confident_match`` and the ranked candidates stay in the ledger for ``spotsyncd why``.

Every search is a request to YouTube: with a ``guard`` it takes a turn of YouTube's budget
(``sources.youtube``, shared by every process through the ledger), as a download does, so
twenty workers matching at once still look like one user to YouTube; a bot check or a rate
limit in a search opens YouTube's circuit before the turn is handed on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from spotsyncd.core.errors import (
    BotCheckError,
    NetworkDownError,
    NoConfidentMatchError,
    RateLimitedError,
    TransientError,
)
from spotsyncd.core.models import Candidate, TrackInfo, TrackMeta
from spotsyncd.core.protocols import Searcher
from spotsyncd.engine.jobs.job_ledger import CandidateLedger
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.ledger import TrackRow
from spotsyncd.matching import score as matching

log = logging.getLogger(__name__)


def find_match(
    track: TrackRow,
    info: TrackInfo,
    *,
    searchers: Sequence[Searcher],
    threshold: float,
    ledger: CandidateLedger,
    circuits: Circuits,
    guard: Callable[[str], AbstractContextManager[None]] | None = None,
) -> Candidate:
    """The best candidate for ``info`` at or above ``threshold``; raises
    :class:`NoConfidentMatchError` (candidates recorded) or :class:`TransientError` (when no
    searcher answered: the most telling of their errors, so that a network outage reaches the
    offline check and a bot check or rate limit its service's circuit)."""
    circuits.check("youtube")
    seen: dict[str, Candidate] = {}
    result: matching.MatchResult | None = None
    errors: list[str] = []
    failures: list[TransientError] = []
    for searcher in searchers:
        for query in matching.build_queries(info):
            try:
                with guard("youtube") if guard is not None else contextlib.nullcontext():
                    found = searcher.search(query, limit=10)
            except TransientError as exc:
                errors.append(f"{searcher.name}: {exc}")
                failures.append(exc)
                continue
            for candidate in found:
                seen.setdefault(candidate.video_id, candidate)
            result = matching.best_match(info, list(seen.values()), threshold=threshold)
            if result.chosen is not None:
                break
        if result is not None and result.chosen is not None:
            break
    if result is None:
        raise _search_failed("no search provider answered", errors, failures)
    ledger.set_candidates(track.id, [_candidate_json(s) for s in result.ranked[:10]])
    if result.chosen is None:
        if not result.ranked and errors:
            raise _search_failed("search failed", errors, failures)
        best = result.ranked[0] if result.ranked else None
        detail = (
            f"best was '{best.candidate.title}' at {best.score:.2f}" if best else "no candidates"
        )
        wanted = f"{', '.join(info.artists)} - {info.title}"
        raise NoConfidentMatchError(
            f"no confident match for '{wanted}' ({detail}, threshold {threshold:.2f}); see "
            f"'spotsyncd why {track.key}', or 'spotsyncd match {track.key} URL' to choose the "
            "audio yourself"
        )
    log.info("%s: matched %s (score %.2f)", track.key, result.chosen.watch_url, result.score)
    return result.chosen


def _search_failed(
    what: str, errors: Sequence[str], failures: Sequence[TransientError]
) -> TransientError:
    """One error for a search that got no answer. A host that could not be reached comes
    first (the worker asks the offline watch whether the whole network is down), then a bot
    check or rate limit (its service's circuit opens), else an ordinary transient failure."""
    message = f"{what}: " + "; ".join(errors or ["none"])
    for failure in failures:
        if isinstance(failure, NetworkDownError):
            return NetworkDownError(message, host=failure.host)
    for failure in failures:
        if isinstance(failure, BotCheckError | RateLimitedError):
            return failure
    return TransientError(message)


def info_of(meta: TrackMeta) -> TrackInfo:
    """What matching needs from a track's metadata."""
    return TrackInfo(
        title=meta.title or "",
        artists=list(meta.artists),
        album=meta.album,
        duration_s=meta.duration_s,
        isrc=meta.isrc,
        explicit=meta.explicit,
    )


def meta_of_candidate(candidate: Candidate, typed: TrackMeta) -> TrackMeta:
    """Tags for a search line's match: a YouTube Music song carries the label's metadata
    (title, artists, album, year, cover); a video's title is packaging ("Artist - Title
    (Official Video)"), so the artist and title the user typed are the better tags."""
    if candidate.kind == "song" and candidate.title and candidate.artists:
        return TrackMeta(
            title=candidate.title,
            artists=tuple(candidate.artists),
            album=candidate.album,
            date=candidate.year,
            duration_s=candidate.duration_s,
            explicit=candidate.explicit,
            cover_url=candidate.cover_url,
            source_url=candidate.watch_url,
            isrc=typed.isrc,
        )
    return TrackMeta(
        title=typed.title,
        artists=typed.artists,
        album=typed.album,
        isrc=typed.isrc,
        duration_s=candidate.duration_s,
        cover_url=candidate.cover_url,
        source_url=candidate.watch_url,
    )


def _candidate_json(scored: matching.ScoredCandidate) -> dict[str, object]:
    candidate = scored.candidate
    return {
        "video_id": candidate.video_id,
        "title": candidate.title,
        "artists": list(candidate.artists),
        "channel": candidate.channel,
        "duration_s": candidate.duration_s,
        "kind": candidate.kind,
        "url": candidate.watch_url,
        "provider": candidate.provider,
        "score": round(scored.score, 3),
        "reasons": scored.reasons,
    }
