"""Lyrics: LRCLIB through a loopback stand-in, LRC text, and embedding into real audio files."""

from __future__ import annotations

import logging
from pathlib import Path

import mutagen
import pytest
from mutagen.id3 import ID3

from spotsyncd.core.models import Lyrics, TrackMeta
from spotsyncd.media.lyrics import (
    LrclibClient,
    LyricsStep,
    LyricsUnavailable,
    format_lrc,
    lrc_path_for,
    lyrics_step_for,
    parse_lrc,
    plain_from_lrc,
)
from spotsyncd.media.tags import MutagenTagger
from spotsyncd.system.http import USER_AGENT
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.lrclib import PLAIN, SYNCED, FakeLrclib

META = TrackMeta(title="Veridis Quo", artists=("Daft Punk",), album="Discovery")


@pytest.fixture
def lrclib(server: LoopbackServer) -> FakeLrclib:
    return FakeLrclib(server)


def _client(lrclib: FakeLrclib) -> LrclibClient:
    return LrclibClient(lrclib.api_url, timeout_s=5)


# ------------------------------------------------------------------------------- LRC text


def test_parse_lrc_reads_stamps_skips_metadata_and_sorts() -> None:
    text = "[ar:Daft Punk]\n[length: 5:45]\n[00:02.50]b\n[00:01.2][00:03.00]a\nno stamp\n"
    text += "[1:02.345] c"
    assert parse_lrc(text) == [(1200, "a"), (2500, "b"), (3000, "a"), (62345, "c")]


def test_format_lrc_round_trips_lrclib_style_text() -> None:
    lines = parse_lrc(SYNCED)
    assert lines[0] == (400, "First line of the song") and lines[2] == (2100, "")
    assert parse_lrc(format_lrc(lines)) == lines
    assert plain_from_lrc(SYNCED).splitlines()[0] == "First line of the song"


# ------------------------------------------------------------------------------- LRCLIB


def test_finds_lyrics_by_artist_title_album_and_duration(lrclib: FakeLrclib) -> None:
    lrclib.add("Daft Punk", "Veridis Quo", album="Discovery", duration=345)
    lyrics = _client(lrclib).find(META, 344.6)
    assert lyrics == Lyrics(plain=PLAIN, synced=SYNCED)
    assert lrclib.queries == [
        {"artist_name": "Daft Punk", "track_name": "Veridis Quo", "album_name": "Discovery",
         "duration": "345"}
    ]  # fmt: skip
    assert lrclib.agents == [USER_AGENT]  # a real one with a contact, as LRCLIB asks


def test_duration_more_than_two_seconds_off_means_no_lyrics(lrclib: FakeLrclib) -> None:
    lrclib.lenient = True  # the service hands back a recording of another length
    lrclib.add("Daft Punk", "Veridis Quo", duration=349)
    assert _client(lrclib).find(META, 345.0) is None
    lrclib.records[0]["duration"] = 347.0
    assert _client(lrclib).find(META, 345.0) == Lyrics(plain=PLAIN, synced=SYNCED)


def test_track_not_found_and_instrumental_give_nothing_to_embed(lrclib: FakeLrclib) -> None:
    assert _client(lrclib).find(META, 345) is None  # 404 TrackNotFound
    lrclib.add("Daft Punk", "Veridis Quo", duration=345, instrumental=True)
    found = _client(lrclib).find(META, 345)
    assert found is not None and found.instrumental and not found


def test_only_synced_lyrics_give_plain_text_too(lrclib: FakeLrclib) -> None:
    lrclib.add("Daft Punk", "Veridis Quo", duration=345, plain=None)
    found = _client(lrclib).find(META, 345)
    assert found is not None and found.plain == plain_from_lrc(SYNCED)


def test_server_errors_and_garbage_are_unavailable_not_missing(
    lrclib: FakeLrclib, server: LoopbackServer
) -> None:
    server.fail("/api/get", [503])
    with pytest.raises(LyricsUnavailable, match="503"):
        _client(lrclib).find(META, 345)
    server.route("/api/get", lambda req: _html(req))
    with pytest.raises(LyricsUnavailable, match="not JSON"):
        _client(lrclib).find(META, 345)
    server.handlers.pop("/api/get")
    server.add("/api/get", b"{" + b" " * (2 * 1024 * 1024) + b"}", "application/json")
    with pytest.raises(LyricsUnavailable, match="larger than 2 MB"):
        _client(lrclib).find(META, 345)


def _html(req: object) -> None:
    body = b"<html>maintenance</html>"
    req.send_response(200)  # type: ignore[attr-defined]
    req.send_header("Content-Length", str(len(body)))  # type: ignore[attr-defined]
    req.end_headers()  # type: ignore[attr-defined]
    req.wfile.write(body)  # type: ignore[attr-defined]


def test_refuses_a_non_http_api_url() -> None:
    with pytest.raises(ValueError, match="http"):
        LrclibClient("file:///etc/")


# ------------------------------------------------------------------------------- embedding


@pytest.mark.parametrize("ext", ["mp3", "m4a", "opus", "flac", "ogg"])
def test_embedded_lyrics_read_back(tmp_path: Path, ext: str) -> None:
    path = make_audio(tmp_path / f"a.{ext}", seconds=0.5)
    tagger = MutagenTagger()
    tagger.write(path, META, key="youtube:abc")
    tagger.write_lyrics(path, Lyrics(plain=PLAIN, synced=SYNCED))
    back = tagger.read_lyrics(path)
    assert back.plain == PLAIN
    if ext == "mp3":  # only ID3 has a synced-lyrics frame
        assert back.synced is not None and parse_lrc(back.synced) == parse_lrc(SYNCED)
        sylt = ID3(path).getall("SYLT")[0]
        assert sylt.format == 2 and sylt.text[0] == ("First line of the song", 400)
    else:
        assert back.synced is None
    assert tagger.read_key(path) == "youtube:abc" and tagger.read(path).title == "Veridis Quo"
    assert mutagen.File(path) is not None


def test_id3v23_files_stay_v23_with_lyrics(tmp_path: Path) -> None:
    path = make_audio(tmp_path / "a.mp3", seconds=0.5)
    tagger = MutagenTagger()
    tagger.write(path, META, key="k", id3_version=3)
    tagger.write_lyrics(path, Lyrics(plain=PLAIN, synced=SYNCED))
    assert ID3(path).version[:2] == (2, 3)
    assert tagger.read_lyrics(path).plain == PLAIN


def test_step_embeds_and_writes_lrc_beside(tmp_path: Path, lrclib: FakeLrclib) -> None:
    lrclib.add("Daft Punk", "Veridis Quo", duration=345)
    tagger = MutagenTagger()
    staged = make_audio(tmp_path / "staged.mp3", seconds=0.5)
    step = LyricsStep(_client(lrclib), tagger.write_lyrics, lrc_files=True)
    lyrics = step.embed(staged, META, duration_s=345.4)
    assert lyrics is not None and tagger.read_lyrics(staged).plain == PLAIN
    filed = tmp_path / "lib" / "Veridis Quo.mp3"
    filed.parent.mkdir()
    staged.rename(filed)
    step.place_beside(filed, lyrics)
    assert parse_lrc(lrc_path_for(filed).read_text(encoding="utf-8")) == parse_lrc(SYNCED)
    assert not list(filed.parent.glob("*.tmp"))


def test_step_never_raises_and_pauses_when_lrclib_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with LoopbackServer() as gone:
        url = gone.url("/api/")
    staged = make_audio(tmp_path / "staged.mp3", seconds=0.5)
    step = LyricsStep(LrclibClient(url, timeout_s=2), MutagenTagger().write_lyrics)
    caplog.set_level(logging.INFO, "spotsyncd.media.lyrics")
    assert step.embed(staged, META, duration_s=345) is None
    (record,) = [r for r in caplog.records if "no lyrics" in r.getMessage()]
    line = record.getMessage()
    assert line.startswith("no lyrics for Daft Punk – Veridis Quo: ")  # the track, not the
    assert "staged.mp3" not in line  # staging file
    # LRCLIB out of reach is the source health watch's one warning, not one per track.
    assert record.levelname == "INFO"
    assert step._paused_until > 0  # the next tracks do not each wait for a dead service
    assert MutagenTagger().read_lyrics(staged) == Lyrics()


def test_step_swallows_a_failing_tag_write(tmp_path: Path, lrclib: FakeLrclib) -> None:
    lrclib.add("Daft Punk", "Veridis Quo", duration=345)
    not_audio = tmp_path / "x.mp3"
    not_audio.write_bytes(b"<html>not audio</html>")
    step = LyricsStep(_client(lrclib), MutagenTagger().write_lyrics)
    assert step.embed(not_audio, META, duration_s=345) is None


def test_the_step_follows_the_config(tmp_path: Path) -> None:
    from spotsyncd.core.config import load_config

    write = MutagenTagger().write_lyrics
    on = load_config(None, env={"HOME": str(tmp_path), "SPOTSYNCD_LYRICS_LRC_FILES": "true"})
    step = lyrics_step_for(on, write)
    assert step is not None and step.lrc_files and step.client.api_url == "https://lrclib.net/api/"
    off = load_config(None, env={"HOME": str(tmp_path), "SPOTSYNCD_LYRICS_ENABLED": "false"})
    assert lyrics_step_for(off, write) is None
