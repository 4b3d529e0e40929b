"""Live checks against the real services. Opt-in only: ``pytest -m network`` (never part of
``make test``; the machines that run the suite have no internet). They catch what recorded
responses cannot: a changed YouTube Music response, a yt-dlp that YouTube broke, a Spotify
embed page that moved its JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.core.config import SpotifyConfig
from spotsyncd.intake.links import parse_link
from spotsyncd.matching.score import TrackInfo, best_match
from spotsyncd.sources.spotify.source import SpotifySource
from spotsyncd.sources.ytdlp.client import YtDlpDownloader
from spotsyncd.sources.ytmusic.search import YtMusicSearcher
from spotsyncd.system.tools import find_ffmpeg, find_js_runtime

pytestmark = pytest.mark.network

# Queen - Bohemian Rhapsody: stable, famous, on every service.
SPOTIFY_TRACK = "4u7EnebtmKWzUH433cf5Qv"


def test_youtube_music_search_finds_the_official_song() -> None:
    track = TrackInfo(title="Bohemian Rhapsody", artists=["Queen"], duration_s=354.0)
    candidates = YtMusicSearcher().search("Queen - Bohemian Rhapsody")
    assert candidates
    result = best_match(track, candidates)
    assert result.chosen is not None and "bohemian" in result.chosen.title.lower()


def test_spotify_embed_page_without_credentials(tmp_path: Path) -> None:
    source = SpotifySource(SpotifyConfig(), tmp_path / "token.json")
    meta = source.track(SPOTIFY_TRACK)
    assert meta.title and "Bohemian" in meta.title and "Queen" in meta.artists


def test_youtube_download_works_with_the_js_runtime(tmp_path: Path) -> None:
    js = find_js_runtime()
    downloader = YtDlpDownloader(
        link_of=parse_link,
        ffmpeg=find_ffmpeg().path,
        js_runtime=js.path if js else None,
        timeout_s=30,
    )
    got = downloader.download("https://www.youtube.com/watch?v=jNQXAC9IVRw", tmp_path)
    assert got.path.is_file() and got.path.stat().st_size > 10_000
