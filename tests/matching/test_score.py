"""The matcher: normalisation, each penalty, queries, and the labelled set's numbers."""

from __future__ import annotations

import pytest

from bench.matching import main as run_bench
from spotsyncd.matching.score import (
    Candidate,
    MatchResult,
    TrackInfo,
    best_match,
    build_queries,
)
from spotsyncd.matching.text import clean_channel, is_noise, normalise, split_artists, split_title

WANTED = TrackInfo("Moments", ("Lost Identities", "Robbie Rosen"), "Moments", 220.0, None, False)


def song(
    title: str,
    duration: float = 220.0,
    artists: tuple[str, ...] = ("Lost Identities",),
    **kw: object,
) -> Candidate:
    return Candidate(
        f"id-{title}-{duration}-{artists}-{kw}",
        title,
        artists,
        kind="song",
        duration_s=duration,
        **kw,
    )  # type: ignore[arg-type]


def video(title: str, channel: str, duration: float = 221.0) -> Candidate:
    return Candidate(
        f"v-{title}-{channel}", title, (channel,), channel=channel, duration_s=duration
    )


def score(candidate: Candidate, wanted: TrackInfo = WANTED) -> float:
    return best_match(wanted, [candidate]).score


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Beyoncé", "beyonce"),
        ("Don't Stop Me Now", "dont stop me now"),
        ("Simon & Garfunkel", "simon and garfunkel"),
        ("ROSALÍA", "rosalia"),
        ("  Ob-La-Di,  Ob-La-Da ", "ob la di ob la da"),
        ("夜に駆ける", "夜に駆ける"),
        ("!!!!!!!", "!!!!!!!"),  # punctuation-only titles stay comparable
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "core", "extras", "featured"),
    [
        ("Bohemian Rhapsody - Remastered 2011", "bohemian rhapsody", (), ()),
        ("Hello (Official Music Video)", "hello", (), ()),
        ("Wonderwall [Official Audio]", "wonderwall", (), ()),
        ("Blinding Lights (Lyrics)", "blinding lights", (), ()),
        ("Hotel California (2013 Remaster)", "hotel california", (), ()),
        ("Titanium (feat. Sia)", "titanium", (), ("sia",)),
        (
            "Get Lucky ft. Pharrell Williams & Nile Rodgers",
            "get lucky",
            (),
            ("pharrell williams", "nile rodgers"),
        ),
        ("Moments (Acoustic Version)", "moments", ("acoustic version",), ()),
        ("BTS (방탄소년단) 'Dynamite' Official MV", "bts dynamite", ("방탄소년단",), ()),
        ("Hotel California - Live On MTV, 1994", "hotel california", ("live on mtv 1994",), ()),
    ],
)
def test_split_title(
    raw: str, core: str, extras: tuple[str, ...], featured: tuple[str, ...]
) -> None:
    parts = split_title(raw)
    assert (parts.core, parts.extras, parts.featured) == (core, extras, featured)


def test_artist_and_channel_cleaning() -> None:
    assert clean_channel("AdeleVEVO") == "adele"
    assert clean_channel("Queen - Topic") == "queen"
    assert clean_channel("Queen Official") == "queen"
    assert split_artists("Coldplay X BTS") == ["coldplay", "bts"]
    assert split_artists("Lil Nas X, Billy Ray Cyrus & Diplo") == [
        "lil nas x",
        "billy ray cyrus",
        "diplo",
    ]
    assert is_noise("Official Video Remastered") and is_noise("From 'A Star Is Born'")
    assert not is_noise("Acoustic Version")


def test_official_song_wins_over_video_and_lyric_upload() -> None:
    official = song("Moments", artists=("Lost Identities", "Robbie Rosen"), album="Moments")
    omv = video("Robbie Rosen, Lost Identities - Moments (Official Video)", "Lost Identities")
    lyrics = video("Lost Identities & Robbie Rosen - Moments (Lyrics)", "Lyrics Kart")
    result = best_match(WANTED, [lyrics, omv, official])
    assert isinstance(result, MatchResult)
    assert result.chosen == official
    assert [s.candidate for s in result.ranked] == [official, omv, lyrics]
    assert result.ranked[0].reasons.startswith("title 1.00, artist 1.00, duration +0s, song")
    assert "penalty: lyric video" in result.ranked[2].reasons


@pytest.mark.parametrize(
    "version",
    [
        "Live",
        "Remix",
        "Cover",
        "Karaoke Version",
        "Instrumental",
        "Acoustic",
        "Sped Up",
        "Slowed + Reverb",
        "8D Audio",
        "Nightcore",
        "Reverb",
        "Extended Mix",
        "Demo",
        "Tribute",
        "Piano Version",
        "Reaction",
        "Live at Wembley",
        "Lo-Fi",
        "A Cappella",
        "Taylor's Version",
    ],
)
def test_each_version_marker_sinks_an_otherwise_perfect_candidate(version: str) -> None:
    penalised = score(song(f"Moments ({version})"))
    assert penalised < 0.7, version
    assert score(song("Moments")) == 1.0


@pytest.mark.parametrize(
    ("title", "version_title"),
    [
        ("Moments - Live", "Moments (Live)"),
        ("Moments - Acoustic", "Moments (Acoustic Version)"),
        ("Moments - Alesso Remix", "Moments (Alesso Remix)"),
    ],
)
def test_a_wanted_version_matches_only_that_version(title: str, version_title: str) -> None:
    wanted = TrackInfo(title, ("Lost Identities",), None, 220.0)
    result = best_match(wanted, [song("Moments"), song(version_title)])
    assert result.chosen is not None and result.chosen.title == version_title


def test_words_of_the_real_title_are_not_markers() -> None:
    wanted = TrackInfo("Live Forever - Remastered", ("Oasis",), None, 276.0)
    assert score(song("Live Forever (Remastered)", 277, ("Oasis",)), wanted) == 1.0
    assert score(song("Live Forever (Live at Knebworth)", 277, ("Oasis",)), wanted) < 0.7
    band = TrackInfo("Lightning Crashes", ("Live",), None, 325.0)
    assert score(song("Lightning Crashes", 325, ("Live",)), band) == 1.0


def test_duration_decides_between_edits() -> None:
    assert score(song("Moments", 222)) == 1.0
    assert 0.7 < score(song("Moments", 232)) < 1.0
    assert score(song("Moments", 250)) < 0.7  # 30 s off is another edit
    assert score(video("Lost Identities - Moments (Official Video)", "Lost Identities", 250)) > 0.7
    assert score(video("Lost Identities - Moments (Official Video)", "Lost Identities", 400)) < 0.7


def test_cover_by_another_artist_with_the_same_title_and_length_is_rejected() -> None:
    assert best_match(WANTED, [song("Moments", 220, ("Someone Else",))]).chosen is None


def test_other_song_of_the_same_artist_is_rejected() -> None:
    assert best_match(WANTED, [song("Those Lost", 220), song("Moments Apart", 220)]).chosen is None


def test_added_guest_artist_is_another_recording() -> None:
    wanted = TrackInfo("bad guy", ("Billie Eilish",), None, 194.0)
    guest = song("bad guy (with Justin Bieber)", 195, ("Billie Eilish", "Justin Bieber"))
    assert best_match(wanted, [guest]).chosen is None


def test_explicit_mismatch_is_a_slight_penalty() -> None:
    wanted = TrackInfo("7 rings", ("Ariana Grande",), None, 178.0, explicit=True)
    clean = song("7 rings", 178, ("Ariana Grande",), explicit=False)
    explicit = song("7 rings", 178, ("Ariana Grande",), explicit=True)
    result = best_match(wanted, [clean, explicit])
    assert result.chosen == explicit
    assert 0.85 < result.ranked[1].score < 1.0


def test_threshold_and_empty_candidates() -> None:
    assert best_match(WANTED, []) == MatchResult(chosen=None, score=0.0, ranked=())
    candidate = song("Moments", 232)
    assert best_match(WANTED, [candidate], threshold=0.99).chosen is None
    assert best_match(WANTED, [candidate], threshold=0.5).chosen == candidate


def test_build_queries() -> None:
    track = TrackInfo("Don't Stop Me Now - Remastered 2011", ("Queen",), isrc="gbum71029604")
    assert build_queries(track) == [
        "GBUM71029604",
        "Queen - Don't Stop Me Now",
        "Don't Stop Me Now",
    ]
    feat = TrackInfo("Titanium (feat. Sia)", ("David Guetta", "Sia"))
    assert build_queries(feat) == [
        "David Guetta - Titanium",
        "David Guetta Sia Titanium",
        "Titanium",
    ]
    live = TrackInfo("Hotel California - Live On MTV, 1994", ("Eagles",))
    assert build_queries(live) == [
        "Eagles - Hotel California - Live On MTV, 1994",
        "Hotel California - Live On MTV, 1994",
        "Eagles hotel california",
    ]


@pytest.mark.e2e
def test_labelled_set_meets_the_targets(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_bench([])
    assert report["cases"] >= 60
    assert report["wrong_pick_rate"] < 0.01, report["misses"]
    assert report["accuracy"] >= 0.97, report["misses"]
    assert set(report["splits"]) == {"tune", "holdout"}
    assert "all: " in capsys.readouterr().out
