"""Every real playlist file is read as the format it is, by its content, or refused with why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotsyncd.intake.playlists.entries import PlaylistFileError
from spotsyncd.intake.playlists.formats import is_playlist_file_name, read_playlist_file

# file -> (format, number of collections, entries in all)
EXPECTED = {
    "clementine_test.m3u": ("M3U playlist", 1, 239),
    "mopidy_comment-ext.m3u": ("M3U playlist", 1, 1),
    "mopidy_encoding-ext_latin1.m3u": ("M3U playlist", 1, 1),
    "clementine_somafm.pls": ("PLS playlist", 1, 4),
    "clementine_test.xspf": ("XSPF playlist", 1, 1),
    "xspf_testsuite_track-extensive.xspf": ("XSPF playlist", 1, 1),
    "xspf_testsuite_relative-paths.xspf": ("XSPF playlist", 1, 3),
    "xspf_testsuite_xml-base_bom.xspf": ("XSPF playlist", 1, 1),
    "xspf_testsuite_ns-prefix.xspf": ("XSPF playlist", 1, 0),
    "xspf_testsuite_FAIL_badint-duration.xspf": ("XSPF playlist", 1, 1),
    "listenbrainz_jspf_playlistPageProps.json": ("JSPF playlist", 1, 1),
    "exportify_2024_channel_tres.csv": ("Exportify CSV", 1, 29),
    "exportify_2024_city_pop_80s.csv": ("Exportify CSV", 1, 50),
    "exportify_2022_rubys_favorites.csv": ("Exportify CSV", 1, 24),
    "exportify_watsonbox_format_isrc.csv": ("Exportify CSV", 1, 290),
    "tunemymusic_my_spotify_library.csv": ("TuneMyMusic CSV", 34, 2351),
    "spotify_account_Playlist1.json": ("Spotify playlist export", 6, 38),
    "spotify_account_YourLibrary.json": ("Spotify library export", 3, 224 + 16 + 34),
    "takeout_2023_old_bboy_culture.csv": ("Google Takeout playlist", 1, 13),
    "takeout_2024_my_mix-videos.csv": ("Google Takeout playlist", 1, 48),
}
REFUSED = {
    "takeout_2024_liked_videos.csv": "only a count",
    "takeout_2024_playlists.csv": "lists playlists, not their songs",
    "spotify_account_StreamingHistory_podcast_0.json": "listening history",
    "spotify_account_StreamingHistory_audiobook_0.json": "listening history",
    "listenbrainz_spotify_extended_history_2023.json": "listening history",
    "listenbrainz_spotify_endsong_0.json": "listening history",
}


def test_every_real_file_is_named_here(playlists_dir: Path) -> None:
    assert {p.name for p in playlists_dir.iterdir()} == set(EXPECTED) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_files_read_as_their_format(playlists_dir: Path, name: str) -> None:
    kind, collections, entries = EXPECTED[name]
    result = read_playlist_file((playlists_dir / name).read_bytes(), name)
    assert result.format == kind
    if collections is not None:
        assert len(result.collections) == collections
    if entries is not None:
        assert result.entry_count == entries


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_real_files_that_hold_no_songs_are_refused_with_the_reason(
    playlists_dir: Path, name: str
) -> None:
    with pytest.raises(PlaylistFileError, match=REFUSED[name]):
        read_playlist_file((playlists_dir / name).read_bytes(), name)


def test_content_decides_not_the_extension(playlists_dir: Path) -> None:
    data = (playlists_dir / "clementine_test.xspf").read_bytes()
    assert read_playlist_file(data, "renamed.txt").format == "XSPF playlist"
    data = (playlists_dir / "spotify_account_YourLibrary.json").read_bytes()
    assert read_playlist_file(data, "library.dat").format == "Spotify library export"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"hello there\nnot a list\n", "not a playlist file"),
        (b"<rss><channel/></rss>", "not an XSPF"),
        (b"<playlist><trackList><track>", "not well-formed"),
        (b'{"playlists": []}', "no playlists"),
        (b'{"something": 1}', "none of the playlist formats"),
        (b"[" * 100_000, "not valid JSON"),
        (b"colour,shape\nred,round\n", "not a playlist file"),
    ],
)
def test_hostile_or_foreign_input_gets_a_reason(data: bytes, why: str) -> None:
    with pytest.raises(PlaylistFileError, match=why):
        read_playlist_file(data, "dropped.json")


def test_an_entity_bomb_is_refused_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
        )
        + b"]><playlist><title>&j;</title></playlist>"
    )
    with pytest.raises(PlaylistFileError):
        read_playlist_file(bomb, "bomb.xspf")


def test_file_names_that_are_playlists() -> None:
    assert is_playlist_file_name("Liked.CSV") and is_playlist_file_name("mix.m3u8")
    assert not is_playlist_file_name("links.txt") and not is_playlist_file_name(".hidden.m3u")


def test_a_ten_thousand_entry_export_reads_quickly() -> None:
    import time

    items = [
        {
            "track": {
                "trackName": f"Song {i}",
                "artistName": f"Artist {i % 97}",
                "albumName": "Album",
                "trackUri": f"spotify:track:{i:022d}",
            }
        }  # fmt: skip
        for i in range(10_000)
    ]
    data = json.dumps({"playlists": [{"name": "Big", "items": items}]}).encode()
    started = time.process_time()
    result = read_playlist_file(data, "Playlist1.json")
    assert result.entry_count == 10_000
    assert time.process_time() - started < 2.0
