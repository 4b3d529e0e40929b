"""Which of MusicBrainz's recordings is the track, and on which release.

A recording fits when its length is within 10 s of the track's (when both are known) and,
for a search, its title and main artist are the track's; an ISRC already names the recording,
so among an ISRC's recordings the title and the length only rank them (all of them are kept
as equivalents for the fingerprint check: the same ISRC is the same master). A release fits
best with the track's album title, then the same track count, then the same year, then an
official release, then the earliest.
"""

from __future__ import annotations

from typing import Any

from spotsyncd.core.models import Identity, TrackMeta
from spotsyncd.identity.musicbrainz import credit_ids, credit_names
from spotsyncd.identity.names import close, plain, same_title, shares_artist

LENGTH_TOLERANCE_S = 10.0
MIN_SEARCH_SCORE = 80


def _length_s(recording: dict[str, Any]) -> float | None:
    length = recording.get("length")
    return float(length) / 1000 if isinstance(length, int | float) and length > 0 else None


def from_isrc(recordings: list[dict[str, Any]], wanted: TrackMeta) -> Identity | None:
    fitting = [
        r for r in recordings
        if r.get("id") and close(_length_s(r), wanted.duration_s, LENGTH_TOLERANCE_S)
    ]  # fmt: skip
    if not fitting:
        return None
    fitting.sort(key=lambda r: _rank(r, wanted))
    return _chosen(fitting[0], fitting, wanted)


def from_search(recordings: list[dict[str, Any]], wanted: TrackMeta) -> Identity | None:
    fitting = [
        r for r in recordings
        if r.get("id")
        and int(r.get("score") or 0) >= MIN_SEARCH_SCORE
        and same_title(r.get("title"), wanted.title)
        and shares_artist(wanted.artists, credit_names(r.get("artist-credit")))
        and wanted.duration_s is not None and _length_s(r) is not None
        and close(_length_s(r), wanted.duration_s, LENGTH_TOLERANCE_S)
    ]  # fmt: skip
    if not fitting:
        return None
    fitting.sort(key=lambda r: _rank(r, wanted))
    return _chosen(fitting[0], fitting[:1], wanted)


def _rank(recording: dict[str, Any], wanted: TrackMeta) -> tuple[int, float]:
    """Lower is better: the same title first, then the closest length."""
    length = _length_s(recording)
    gap = abs(length - wanted.duration_s) if length and wanted.duration_s else LENGTH_TOLERANCE_S
    return (0 if same_title(recording.get("title"), wanted.title) else 1, gap)


def _chosen(
    recording: dict[str, Any], fitting: list[dict[str, Any]], wanted: TrackMeta
) -> Identity:
    release = best_release(recording.get("releases") or [], wanted)
    track_id = None
    if release is not None:
        for medium in release.get("media") or []:
            for track in medium.get("tracks") or medium.get("track") or []:
                track_id = track_id or track.get("id")
    group = (release or {}).get("release-group") or {}
    ids = tuple(dict.fromkeys(str(r["id"]) for r in [recording, *fitting]))
    return Identity(
        recording_id=str(recording["id"]),
        recording_title=recording.get("title"),
        release_id=(release or {}).get("id"),
        release_group_id=group.get("id"),
        release_track_id=track_id,
        artist_ids=credit_ids(recording.get("artist-credit")),
        album_artist_ids=credit_ids((release or {}).get("artist-credit")),
        equivalent_ids=ids,
    )


def best_release(releases: list[Any], wanted: TrackMeta) -> dict[str, Any] | None:
    candidates = [r for r in releases if isinstance(r, dict) and r.get("id")]
    if not candidates:
        return None
    year = (wanted.date or "")[:4]

    def rank(release: dict[str, Any]) -> tuple[int, int, int, int, str]:
        counts = {m.get("track-count") for m in release.get("media") or [] if isinstance(m, dict)}
        total = release.get("track-count")
        return (
            0 if wanted.album and plain(release.get("title")) == plain(wanted.album) else 1,
            0 if wanted.track_total and wanted.track_total in (counts | {total}) else 1,
            0 if year and str(release.get("date") or "").startswith(year) else 1,
            0 if str(release.get("status") or "").lower() == "official" else 1,
            str(release.get("date") or "9999"),
        )

    return min(candidates, key=rank)
