"""The verdict on a track's audio from what AcoustID says its fingerprint is.

- **verified**: a matched recording is the one MusicBrainz named for the track (or another
  recording of the same ISRC: the same master); or, when MusicBrainz named none, or named one
  AcoustID does not list, a recording with the track's title, main artist and a length within
  3 s (MusicBrainz keeps unmerged duplicates of one recording);
- **mismatch**: the fingerprint matched (score at least ``MIN_SCORE``) recordings AcoustID
  knows by title, and none of them is the track's: the audio is another recording (a live
  take, a cover, another song);
- **unverified**: anything else (no match, recordings without metadata, no key, a service
  down): the track is filed as it would be without the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from spotsyncd.core.models import Identity, TrackMeta, Verdict
from spotsyncd.identity.acoustid import Recording, Result
from spotsyncd.identity.names import close, same_title, shares_artist

MIN_SCORE = 0.5
SAME_LENGTH_S = 3.0
TITLE_LENGTH_S = 7.0  # no MBID to compare: the title and artist decide, the length confirms


def judge(results: Sequence[Result], asked: Identity | None, meta: TrackMeta) -> Identity:
    base = asked or Identity()
    matched = [r for r in results if r.score >= MIN_SCORE]
    if not matched:
        return replace(base, verdict=Verdict.UNVERIFIED,
                       reason="AcoustID does not know this audio's fingerprint")  # fmt: skip
    ids = set(base.equivalent_ids) | ({base.recording_id} if base.recording_id else set())
    for result in matched:
        for recording in result.recordings:
            if recording.id in ids:
                return _verified(base, result, recording, "the recording MusicBrainz names")
    tolerance = SAME_LENGTH_S if base.recording_id else TITLE_LENGTH_S
    for result in matched:
        for recording in result.recordings:
            if _fits(recording, meta, tolerance):
                what = ("a recording with its title, artist and length"
                        if base.recording_id else "its title, artist and length")  # fmt: skip
                return _verified(base, result, recording, what, adopt=not base.recording_id)
    known = [(res, rec) for res in matched for rec in res.recordings if rec.title]
    if not known:
        return replace(
            base,
            verdict=Verdict.UNVERIFIED,
            acoustid_id=matched[0].id,
            acoustid_score=matched[0].score,
            reason="AcoustID matched the fingerprint but knows no recording for it",
        )
    result, recording = known[0]
    asked_as = " - ".join(x for x in (meta.artist, meta.title) if x) or "the track"
    return replace(
        base,
        verdict=Verdict.MISMATCH,
        acoustid_id=result.id,
        acoustid_score=result.score,
        reason=f"the audio is {describe(recording)}, not {asked_as}"
        + (f" ({base.recording_id})" if base.recording_id else ""),
    )


def _fits(recording: Recording, meta: TrackMeta, tolerance_s: float) -> bool:
    return (
        same_title(recording.title, meta.title)
        and shares_artist(meta.artists, recording.artists)
        and close(recording.duration_s, meta.duration_s, tolerance_s)
    )


def _verified(
    base: Identity, result: Result, recording: Recording, how: str, *, adopt: bool = False
) -> Identity:
    reason = f"AcoustID (score {result.score:.2f}): {describe(recording)}, {how}"
    if adopt:  # MusicBrainz named no recording: the fingerprint's is the track's identity
        base = replace(
            base,
            recording_id=recording.id,
            recording_title=recording.title,
            artist_ids=recording.artist_ids,
            release_group_id=recording.release_group_ids[0]
            if len(recording.release_group_ids) == 1 else None,
        )  # fmt: skip
    return replace(base, verdict=Verdict.VERIFIED, acoustid_id=result.id,
                   acoustid_score=result.score, reason=reason)  # fmt: skip


def describe(recording: Recording) -> str:
    who = ", ".join(recording.artists)
    name = f"{who} - {recording.title}" if who else f"'{recording.title}'"
    length = f", {recording.duration_s:.0f} s" if recording.duration_s else ""
    return f"{name} (recording {recording.id}{length})"
