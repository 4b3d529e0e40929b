"""One recording, two places: an artist's single and the album it is also on.

Spotify gives the album track and the single different track IDs (different keys), so the
ledger finds the same recording by ISRC, or by title, main artist and a duration within 2 s,
among the tracks already filed. The second one is not downloaded again: it is marked done with
no file of its own, and both tracks' events say where the other one is.
"""

from __future__ import annotations

from spotsyncd.core.models import TrackMeta

DURATION_TOLERANCE_S = 2.0


def same_recording(wanted: TrackMeta, filed: TrackMeta, filed_duration: float | None) -> bool:
    """Is a filed track (its ``filed`` tags and measured ``filed_duration``) the recording
    ``wanted`` describes: the same ISRC, or the main artist and a duration within 2 s."""
    if wanted.isrc and filed.isrc:
        return wanted.isrc.upper() == filed.isrc.upper()
    mine = {a.lower() for a in wanted.artists[:1]}
    theirs = {a.lower() for a in filed.artists}
    if not mine or not mine & theirs:
        return False
    duration = filed.duration_s or filed_duration
    if wanted.duration_s is None or duration is None:
        return False
    return abs(wanted.duration_s - duration) <= DURATION_TOLERANCE_S
