"""Which of MusicBrainz's recorded recordings is the track, and on which release."""

from __future__ import annotations

import pytest

from spotsyncd.core.models import TrackMeta
from spotsyncd.identity import choose
from tests.fakes import musicbrainz as mb

pytestmark = pytest.mark.skipif(not mb.available(), reason="../shared/realworld is not present")

TOL = "cb2cc207-8125-445c-9ef9-6ea44eee959a"


def test_an_isrc_with_several_recordings_picks_the_one_that_fits() -> None:
    recordings = [mb.thousand_nights(), mb.thinking_out_loud(), mb.the_enemy_video()]
    wanted = TrackMeta(title="Thinking Out Loud", artists=("Ed Sheeran",), duration_s=281.4,
                       isrc="GBAHS1400099")  # fmt: skip
    chosen = choose.from_isrc(recordings, wanted)
    assert chosen is not None
    assert chosen.recording_id == TOL and chosen.recording_title == "Thinking Out Loud"
    assert chosen.artist_ids == ("b8a7c51f-362c-4dcb-a259-bc6e0095f0a6",)
    # The others are 60 s shorter: not the same master, so not equivalents either.
    assert chosen.equivalent_ids == (TOL,)


def test_an_isrc_whose_recordings_are_all_another_length_names_none() -> None:
    wanted = TrackMeta(title="Thinking Out Loud", artists=("Ed Sheeran",), duration_s=200.0)
    assert choose.from_isrc([mb.thinking_out_loud()], wanted) is None


def test_a_recording_on_seven_releases_is_filed_on_the_album_asked() -> None:
    recording = mb.mozart_on_seven_releases()
    assert len(recording["releases"]) == 7
    wanted = TrackMeta(
        title='Symphony no. 40 in G minor, K. 550 "Great": I. Allegro molto',
        artists=("Hans Graf", "Mozarteum Orchester Salzburg"),
        album="The Classic Composers, Volume 3: Musical Masterpieces",
        duration_s=458.0,
        date="2005-01-01",
    )
    chosen = choose.from_isrc([recording], wanted)
    assert chosen is not None and chosen.recording_id == "d88ad1b4-73a7-4b3d-893a-9a6bfc8cf429"
    assert chosen.release_id == "10cd503c-2466-3ab3-8e5f-1d8632c0df88"
    assert chosen.release_track_id == "17dfd781-0780-3d08-b3e0-809dda9d171f"
    assert chosen.artist_ids == ("b791b51c-03d0-427e-a96e-75090623d168",
                                 "a027c92f-0fe9-4a6d-af45-6f5fd18ed544")  # fmt: skip
    # Three releases bear that title (2002 and 2005 promotions, an undated official one):
    # without a year the official one is chosen; without an album, the earliest official one.
    undated = choose.from_isrc([recording], TrackMeta(title=wanted.title, album=wanted.album,
                                                      duration_s=458.0))  # fmt: skip
    assert undated is not None and undated.release_id == "ee1cf8e2-68c6-3a88-8cd2-d06eb80a1fea"
    unnamed = choose.from_isrc([recording], TrackMeta(title=wanted.title, duration_s=458.0))
    assert unnamed is not None and unnamed.release_id == "0c187ba2-6eea-49e1-a6d4-249cccccf4b6"


def test_a_search_keeps_only_the_same_title_artist_and_length() -> None:
    found = mb.search_answer()["recordings"]
    thief = TrackMeta(title="Thief of Hearts", artists=("Dynamo Go",), duration_s=199.0)
    chosen = choose.from_search(found, thief)
    assert chosen is not None and chosen.recording_id == "cb4d4d70-930c-4d1a-a157-776de18be66a"
    assert chosen.release_id == "5e3524ca-b4a1-4e51-9ba5-63ea2de8f49b"
    for other in (
        TrackMeta(title="Thief of Hearts", artists=("Someone Else",), duration_s=199.0),
        TrackMeta(title="Thief of Hearts", artists=("Dynamo Go",), duration_s=230.0),
        TrackMeta(title="Hocus Pocus", artists=("Focus",), duration_s=200.0),
        TrackMeta(title="Thief of Hearts", artists=("Dynamo Go",)),  # no length: no guess
    ):
        assert choose.from_search(found, other) is None, other
