"""Choose the search result that is the wanted recording, or none.

Filing the wrong song silently is the worst thing spotsyncd can do, so the scorer is built to
say "no confident match" rather than guess. Each candidate gets four sub-scores in [0, 1]:

- **title**: the best ``SequenceMatcher`` ratio between the wanted title and the candidate's
  title variants (whole title, each side of "Artist - Title", with or without unknown bracket
  parts), after normalising (casefold, accents, punctuation, "&" = "and") and dropping noise
  ("(Official Video)", "[Official Audio]", "(Lyrics)", "- Remastered 2011", "feat. X").
  Brackets that name a version ("(Acoustic Version)", "(Alesso Remix)") are kept, so two
  different remixes do not look alike.
- **artist**: the best name similarity between the wanted artists (the first counts fully, the
  others at 0.9) and the candidate's artists, its cleaned channel ("X - Topic", "XVEVO"), the
  "Artist" side of "Artist - Title" and the feat. names; a wanted artist named anywhere in the
  candidate title counts 0.9 (lyric uploads by fan channels).
- **duration**: 1.0 within 2 s, 0.85 at 5 s, 0.35 at 15 s, then falling to 0.05 at 30 s, or at
  90 s for a video that is *longer* (music videos have intros and outros). 0.6 when unknown.
- title and artist go through steep ramps (``(x - 0.55) / 0.40`` and ``(x - 0.5) / 0.4``):
  a ratio of 0.5 ("Stay" vs "Stay With Me", "Hello" by another artist) is worth nothing.

The score is the weighted **geometric** mean ``title^0.45 * artist^0.35 * duration^0.20``
(each floored at 0.02). A geometric mean means one clearly wrong aspect (another artist,
another song, 3 minutes too long) sinks the candidate however good the rest is; a sum would let
a same-titled cover by someone else score 0.65 on title and duration alone.

It is then multiplied by factors:
- a version marker in the candidate that the wanted track lacks (live x0.6, remix x0.55,
  cover x0.45, karaoke x0.35, sped up x0.35, nightcore x0.3, 8D x0.35, acoustic x0.6, ...;
  see ``matching_text.MARKERS``), and a marker the wanted track has but the candidate lacks
  (live x0.7, ...). Markers are searched in the candidate's title, album and channel after
  removing the wanted title and artists, so "Live Forever" or the band Live are not "live";
- videos x0.96 (prefer the official song, the audio Spotify has), lyric videos x0.97;
- clean vs explicit mismatch x0.95; same album (when both known) x1.03, capped at 1.

Scores under ``threshold`` (0.70) mean "no confident match". Weights and ramps were tuned on
``tests/data/matching_cases.json`` (``python -m bench.matching`` reports the numbers).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spotsyncd.core.models import Candidate, TrackInfo
from spotsyncd.matching.text import (
    Marker,
    TitleParts,
    clean_channel,
    contains_phrase,
    find_markers,
    name_similarity,
    normalise,
    ratio,
    remove_phrase,
    split_artists,
    split_title,
)

__all__ = [
    "Candidate",
    "MatchResult",
    "ScoredCandidate",
    "TrackInfo",
    "best_match",
    "build_queries",
    "score_candidate",
]

DEFAULT_THRESHOLD = 0.70
WEIGHT_TITLE, WEIGHT_ARTIST, WEIGHT_DURATION = 0.45, 0.35, 0.20
VIDEO_FACTOR = 0.96
EXPLICIT_MISMATCH_FACTOR = 0.93
SAME_ALBUM_FACTOR = 1.03
EXTRA_FEATURED_FACTOR = 0.6  # "(with Justin Bieber)": a different recording
EXTRA_LISTED_FACTOR = 0.8  # an unexpected name in a song's artist list
MISSING_FEATURED_FACTOR = 0.92
UNKNOWN_DURATION = 0.6
_FLOOR = 0.02
# Wanted-side album words that say the recording is a version (e.g. "MTV Unplugged").
_ALBUM_MARKERS = {"live", "acoustic"}
# Markers of a version whose plain upload is usually that very version: Spotify's "Song - Radio
# Edit" is what the official video plays. They still tip the balance (see MARKERS), but the
# title without them is a fair name for the recording.
_SOFT_MARKERS = {"edit"}


@dataclass(frozen=True)
class ScoredCandidate:
    candidate: Candidate
    score: float  # in [0, 1]
    reasons: str  # e.g. "title 0.98, artist 1.00, duration -2s, song; penalty: live"
    rank_score: float = 0.0  # before capping at 1, so "same album" still breaks ties


@dataclass(frozen=True)
class MatchResult:
    chosen: Candidate | None  # None: no candidate reached the threshold
    score: float  # the best score, chosen or not
    ranked: tuple[ScoredCandidate, ...]  # best first


def best_match(
    track: TrackInfo, candidates: Sequence[Candidate], *, threshold: float = DEFAULT_THRESHOLD
) -> MatchResult:
    """Score every candidate; choose the best one if it reaches ``threshold``."""
    wanted = _Wanted.of(track)
    scored = [score_candidate(wanted, candidate) for candidate in _unique(candidates)]
    # Ties go to the official song, then to the most viewed upload.
    scored.sort(
        key=lambda s: (round(s.rank_score, 6), s.candidate.kind == "song", s.candidate.views or 0),
        reverse=True,
    )
    best = scored[0].score if scored else 0.0
    chosen = scored[0].candidate if scored and best >= threshold else None
    return MatchResult(chosen=chosen, score=best, ranked=tuple(scored))


def build_queries(track: TrackInfo) -> list[str]:
    """Search queries, most precise first: ISRC, "Artist - Title", then looser variants."""
    parts = split_title(track.title)
    artists = [a for a in track.artists if a.strip()]
    plain_title = _plain_title(track.title)
    queries: list[str] = []
    if track.isrc:
        queries.append(track.isrc.strip().upper())
    if artists:
        queries.append(f"{artists[0]} - {plain_title}")
        if len(artists) > 1:
            queries.append(f"{' '.join(artists)} {plain_title}")
    queries.append(plain_title)
    if parts.extras and artists:  # "Song (Live at X)" may be listed as "Song (Live)"
        queries.append(f"{artists[0]} {parts.core}")
    unique: list[str] = []
    for query in queries:
        if query and query.casefold() not in {q.casefold() for q in unique}:
            unique.append(query)
    return unique


class _Wanted:
    """The wanted track, normalised once for all candidates."""

    def __init__(self, track: TrackInfo, parts: TitleParts, artists: list[str]) -> None:
        self.track = track
        self.parts = parts
        self.artists = artists
        self.title = " ".join((parts.core, *parts.extras))
        album = normalise(track.album or "")
        self.album = album
        album_markers = {
            name: marker
            for name, marker in find_markers(remove_phrase(album, parts.core)).items()
            if name in _ALBUM_MARKERS
        }
        self.markers = {**find_markers(" ".join(parts.extras)), **album_markers}

    @classmethod
    def of(cls, track: TrackInfo) -> _Wanted:
        parts = split_title(track.title)
        artists: list[str] = []
        for raw in track.artists:  # Spotify lists artists one by one: "Simon & Garfunkel" stays
            name = normalise(raw)
            if name and name not in artists:
                artists.append(name)
        for name in parts.featured:
            if name not in artists:
                artists.append(name)
        return cls(track, parts, artists)


def score_candidate(wanted: _Wanted | TrackInfo, candidate: Candidate) -> ScoredCandidate:
    """Score one candidate against the wanted track (see the module docstring)."""
    if isinstance(wanted, TrackInfo):
        wanted = _Wanted.of(wanted)
    parts = split_title(candidate.title)
    title = _title_similarity(wanted, parts)
    artist = _artist_similarity(wanted, candidate, parts)
    diff = _duration_diff(wanted.track, candidate)
    duration = _duration_score(diff, candidate.kind)
    score = math.exp(
        WEIGHT_TITLE * math.log(max(_ramp(title, 0.55, 0.40), _FLOOR))
        + WEIGHT_ARTIST * math.log(max(_ramp(artist, 0.5, 0.4), _FLOOR))
        + WEIGHT_DURATION * math.log(max(duration, _FLOOR))
    )
    reasons = [
        f"title {title:.2f}",
        f"artist {artist:.2f}",
        "duration ?" if diff is None else f"duration {diff:+.0f}s",
        candidate.kind,
    ]
    penalties: list[str] = []
    for marker in _candidate_markers(wanted, candidate).values():
        if marker.name not in wanted.markers:
            score *= marker.unwanted
            penalties.append(marker.name)
    candidate_markers = _candidate_markers(wanted, candidate)
    for name, marker in wanted.markers.items():
        if name not in candidate_markers:
            score *= marker.missing
            penalties.append(f"not {name}")
    extra_factor, extra_names = _extra_artist_factor(wanted, candidate, parts)
    if extra_names:
        score *= extra_factor
        penalties.append(f"also by {', '.join(extra_names)}")
    if _misses_featured(wanted, candidate):
        score *= MISSING_FEATURED_FACTOR
        penalties.append("no feat.")
    if candidate.kind != "song":
        score *= VIDEO_FACTOR
    if (
        wanted.track.explicit is not None
        and candidate.explicit is not None
        and wanted.track.explicit != candidate.explicit
    ):
        score *= EXPLICIT_MISMATCH_FACTOR
        penalties.append("clean/explicit")
    if wanted.album and candidate.album and ratio(wanted.album, normalise(candidate.album)) > 0.8:
        score *= SAME_ALBUM_FACTOR
        reasons.append("same album")
    text = ", ".join(reasons) + (f"; penalty: {', '.join(penalties)}" if penalties else "")
    return ScoredCandidate(
        candidate=candidate, score=round(min(score, 1.0), 4), reasons=text, rank_score=score
    )


def _title_similarity(wanted: _Wanted, parts: TitleParts) -> float:
    wanted_titles = {wanted.title}
    if not wanted.markers:  # unknown extras ("(Pt. 2)") may be left out, or be the
        wanted_titles.add(wanted.parts.core)  # title in another script: "뚜두뚜두 (DDU-DU DDU-DU)"
        wanted_titles.update(wanted.parts.extras)
    elif not set(wanted.markers) - _SOFT_MARKERS:  # "Levels - Radio Edit" is "Levels"
        wanted_titles.add(wanted.parts.core)
    versions = [e for e in parts.extras if find_markers(e)]
    # Version brackets ("(Acoustic Version)") always stay; unknown ones may be left out.
    candidate_titles = {" ".join((parts.core, *parts.extras)), " ".join((parts.core, *versions))}
    for side in parts.sides:
        # "Artist - Title": drop the side naming an artist; keep the version brackets.
        candidate_titles.add(" ".join((side, *versions)))
        candidate_titles.add(" ".join((_strip_artists(side, wanted.artists), *versions)).strip())
    candidate_titles.add(_strip_artists(" ".join((parts.core, *parts.extras)), wanted.artists))
    whole = max(ratio(w, c) for w in wanted_titles for c in candidate_titles if c)
    # The names alone must match too: "Style (Taylor's Version)" shares a long suffix with
    # "Blank Space (Taylor's Version)" but is another song.
    wanted_names = {wanted.parts.core} if wanted.markers else wanted_titles - {wanted.title}
    candidate_names = {parts.core, *parts.sides}
    candidate_names |= {_strip_artists(name, wanted.artists) for name in candidate_names}
    names = max(ratio(w, c) for w in wanted_names or {wanted.title} for c in candidate_names if c)
    return min(whole, names)


def _strip_artists(text: str, artists: Iterable[str]) -> str:
    for name in artists:
        if len(name) >= 2:
            text = remove_phrase(text, name)
    return " ".join(w for w in text.split() if w not in {"and", "x", "by", "feat", "ft"})


def _artist_similarity(wanted: _Wanted, candidate: Candidate, parts: TitleParts) -> float:
    pool: list[str] = []
    for raw in candidate.artists:
        pool.append(clean_channel(raw))
        pool.extend(split_artists(raw))
    if candidate.channel:
        pool.append(clean_channel(candidate.channel))
    pool.extend(parts.featured)
    if len(parts.sides) > 1:  # "Artist - Title" or "Title - Artist"
        for side in parts.sides:
            pool.append(side)
            pool.extend(split_artists(side))
    best = 0.0
    title_text = normalise(candidate.title)
    for index, name in enumerate(wanted.artists):
        weight = 1.0 if index == 0 else 0.9
        similarity = max((name_similarity(name, other) for other in pool if other), default=0.0)
        if len(name) >= 3 and contains_phrase(title_text, name):
            similarity = max(similarity, 0.9)
        best = max(best, weight * similarity)
    return best


def _is_wanted_artist(wanted: _Wanted, name: str) -> bool:
    return any(
        name_similarity(known, name) >= 0.8 or contains_phrase(known, name)
        for known in wanted.artists
    )


def _extra_artist_factor(
    wanted: _Wanted, candidate: Candidate, parts: TitleParts
) -> tuple[float, list[str]]:
    """Another artist on the recording ("bad guy (with Justin Bieber)") makes it another one."""
    featured = [name for name in parts.featured if not _is_wanted_artist(wanted, name)]
    if featured:
        return EXTRA_FEATURED_FACTOR, featured
    if candidate.kind != "song":  # a video's "artists" are its uploader
        return 1.0, []
    listed = [
        name
        for raw in candidate.artists
        if not _is_wanted_artist(wanted, normalise(raw))
        for name in split_artists(raw)
        if not _is_wanted_artist(wanted, name)
    ]
    return (EXTRA_LISTED_FACTOR, listed) if listed else (1.0, [])


def _misses_featured(wanted: _Wanted, candidate: Candidate) -> bool:
    """The wanted title says "(feat. X)" and the candidate never mentions X."""
    mentioned = " ".join(
        [normalise(candidate.title), *(normalise(a) for a in candidate.artists)]
        + [normalise(candidate.channel or "")]
    )
    return any(not contains_phrase(mentioned, name) for name in wanted.parts.featured)


def _candidate_markers(wanted: _Wanted, candidate: Candidate) -> dict[str, Marker]:
    """Version markers of the candidate, not counting words of the wanted title or artists."""
    texts = [normalise(candidate.title), normalise(candidate.album or "")]
    texts += [normalise(a) for a in candidate.artists]
    texts.append(normalise(candidate.channel or ""))
    found: dict[str, Marker] = {}
    for text in texts:
        text = remove_phrase(text, wanted.parts.core)
        text = _strip_artists(text, wanted.artists)
        found.update(find_markers(text))
    return found


def _duration_diff(track: TrackInfo, candidate: Candidate) -> float | None:
    if track.duration_s is None or candidate.duration_s is None:
        return None
    return candidate.duration_s - track.duration_s


def _duration_score(diff: float | None, kind: str) -> float:
    if diff is None:
        return UNKNOWN_DURATION
    off = abs(diff)
    if off <= 2:
        return 1.0
    if off <= 5:
        return 1.0 - 0.05 * (off - 2)
    if off <= 15:
        return 0.85 - 0.05 * (off - 5)
    if kind != "song" and diff > 0:  # a music video's intro/outro: possible, less likely
        return max(0.05, 0.35 - (off - 15) * 0.004)
    return max(0.05, 0.35 - (off - 15) * 0.02)


def _ramp(value: float, low: float, span: float) -> float:
    return min(1.0, max(0.0, (value - low) / span))


def _plain_title(title: str) -> str:
    """The title as people would type it: no feat. part, no "- Remastered 2011"."""
    parts = split_title(title)
    if parts.noise_only and not parts.extras:
        for separator in (" - ", " – ", " (", " ["):
            if separator in title:
                head = title.split(separator, 1)[0].strip()
                if head:
                    return head
    return title.strip()


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    unique = []
    for candidate in candidates:
        if candidate.video_id not in seen:
            seen.add(candidate.video_id)
            unique.append(candidate)
    return unique
