"""Finding the audio for a Spotify track: search, score, record the candidates, choose.

Its caller checks the YouTube circuit first; a search error of one provider is tried on the next.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from spotsyncd.core.errors import NoConfidentMatchError, PermanentError, TransientError
from spotsyncd.core.models import Candidate, TrackMeta
from spotsyncd.core.protocols import Searcher
from spotsyncd.ledger import Ledger, TrackRow
from spotsyncd.matching import score as matching

log = logging.getLogger(__name__)


def find_audio(
    track: TrackRow,
    meta: TrackMeta,
    *,
    searchers: Sequence[Searcher],
    threshold: float,
    ledger: Ledger,
) -> Candidate:
    """The confident match for ``meta`` (its ranked candidates go into the ledger), or
    NoConfidentMatchError; TransientError when no search provider answered."""
    if not meta.title:
        raise PermanentError("Spotify gave no title for this track; cannot search for it")
    info = matching.TrackInfo(
        title=meta.title,
        artists=list(meta.artists),
        album=meta.album,
        duration_s=meta.duration_s,
        isrc=meta.isrc,
        explicit=meta.explicit,
    )
    seen: dict[str, Candidate] = {}
    result: matching.MatchResult | None = None
    errors: list[str] = []
    for searcher in searchers:
        for query in matching.build_queries(info):
            try:
                found = searcher.search(query, limit=10)
            except TransientError as exc:
                errors.append(f"{searcher.name}: {exc}")
                continue
            for candidate in found:
                seen.setdefault(candidate.video_id, candidate)
            result = matching.best_match(info, list(seen.values()), threshold=threshold)
            if result.chosen is not None:
                break
        if result is not None and result.chosen is not None:
            break
    if result is None:
        raise TransientError("no search provider answered: " + "; ".join(errors or ["none"]))
    ledger.set_candidates(
        track.id,
        [
            {
                "video_id": s.candidate.video_id,
                "title": s.candidate.title,
                "artists": list(s.candidate.artists),
                "channel": s.candidate.channel,
                "duration_s": s.candidate.duration_s,
                "kind": s.candidate.kind,
                "url": s.candidate.watch_url,
                "score": round(s.score, 3),
                "reasons": s.reasons,
            }
            for s in result.ranked[:10]
        ],
    )
    if result.chosen is None:
        if not result.ranked and errors:
            raise TransientError("search failed: " + "; ".join(errors))
        best = result.ranked[0] if result.ranked else None
        detail = (
            f"best was '{best.candidate.title}' at {best.score:.2f}" if best else "no candidates"
        )
        raise NoConfidentMatchError(
            f"no confident match for '{meta.artist} - {meta.title}' ({detail}, threshold "
            f"{threshold:.2f}); see 'spotsyncd why {track.key}', or "
            f"'spotsyncd match {track.key} URL' to choose the audio yourself"
        )
    log.info("%s: matched %s (score %.2f)", track.key, result.chosen.watch_url, result.score)
    return result.chosen
