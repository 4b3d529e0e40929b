"""Title anatomy in other languages: packaging is dropped, versions are kept."""

from __future__ import annotations

import pytest

from spotsyncd.core.models import Candidate
from spotsyncd.matching.score import TrackInfo, best_match
from spotsyncd.matching.text import find_markers, is_noise, normalise, split_title


@pytest.mark.parametrize(
    "part",
    [
        "Video Oficial", "Vídeo Oficial", "Video Con Letra", "Letra", "Letra/Lyrics",
        "Clip Officiel", "Clip officiel", "Vidéo Officielle", "Paroles", "Offizielles Musikvideo",
        "Offizielles Video", "Official MV", "Videoclipe Oficial", "Clipe Oficial",
        "Videoclip Ufficiale", "Video Ufficiale", "Nowy Oficjalny Teledysk", "Resmi Klip",
        "Officiële Video", "Officiell musikvideo", "Официальный клип", "Lyric Video",
        "Video Lyric", "Lyrical Video", "Video Lirik", "Songtext", "뮤직비디오", "官方MV",
        "Audio Oficial", "Legendado", "Remastered 2009",
    ],
)  # fmt: skip
def test_packaging_in_many_languages_is_noise(part: str) -> None:
    assert is_noise(part), part


@pytest.mark.parametrize(
    ("part", "marker"),
    [
        ("En Vivo", "live"), ("Ao Vivo", "live"), ("dal vivo a San Siro", "live"),
        ("Versión Acústica", "acoustic"), ("Versão Acústica", "acoustic"),
        ("Version Acoustique", "acoustic"), ("Radio Edit", "edit"), ("Karaoké", "karaoke"),
    ],
)  # fmt: skip
def test_versions_in_other_languages_are_markers(part: str, marker: str) -> None:
    assert not is_noise(part)
    assert marker in find_markers(normalise(part))


def test_non_english_video_titles_split_into_artist_and_title() -> None:
    parts = split_title("Luis Miguel - La Gloria Eres Tú (Video Con Letra)")
    assert parts.extras == ("la gloria eres tu",)  # "Video Con Letra" was dropped
    assert parts.sides == ("luis miguel", "la gloria eres tu")
    parts = split_title("Zé Felipe - Malvada (Videoclipe Oficial)")
    assert parts.extras == ("malvada",) and parts.sides == ("ze felipe", "malvada")


def test_radio_edit_matches_the_plain_official_video() -> None:
    wanted = TrackInfo("Alors On Danse - Radio Edit", ("Stromae",), None, 206)
    video = Candidate("aod", "Stromae - Alors On Danse (Official Music Video)", ("Stromae",),
                      channel="Stromae", duration_s=210)  # fmt: skip
    extended = Candidate("ext", "Alors On Danse (Extended Mix)", ("Stromae",), kind="song",
                         duration_s=330)  # fmt: skip
    result = best_match(wanted, [extended, video])
    assert result.chosen is video
    assert "not edit" in result.ranked[0].reasons  # still a slight penalty: the exact edit wins
    exact = Candidate("re", "Alors On Danse (Radio Edit)", ("Stromae",), kind="song",
                      duration_s=206)  # fmt: skip
    assert best_match(wanted, [video, exact]).chosen is exact


def test_conjunctions_alone_do_not_hide_a_version() -> None:
    assert not is_noise("Live and Acoustic")
    assert not is_noise("Con Calma")
