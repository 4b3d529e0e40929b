"""The lookups benchmark runs (quick mode): every track asks MusicBrainz by its ISRC and
AcoustID once, MusicBrainz's search only when neither named it, all through the shared budget,
and the projection follows."""

from __future__ import annotations

import pytest

from bench import lookups


@pytest.mark.e2e
def test_quick_lookups_keep_one_musicbrainz_request_a_second() -> None:
    result = lookups.main(["--quick"])
    tracks, searches = result["tracks"], result["musicbrainz_searches"]
    assert result["musicbrainz_requests"] == tracks + searches  # one ISRC lookup each
    assert result["acoustid_requests"] == tracks
    assert sum(result["verdicts"].values()) == tracks
    assert result["min_gap_s"] >= 0.95  # the budget, not the stand-in, sets the pace
    assert result["wall_s"] >= (tracks + searches - 1) * 0.95
    assert result["projected"] and result["playlist_s"] == pytest.approx(
        result["per_track_s"] * lookups.PLAYLIST, rel=0.01
    )
