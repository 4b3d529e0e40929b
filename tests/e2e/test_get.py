"""``spotsyncd get`` as a real process: a pseudo-terminal with bars, --json, search lines, Ctrl-C.

YouTube Music is a loopback stand-in (``tests/fakes/ytmusic_server.py``) answered through the
real ytmusicapi; each chosen video's audio is a real file on a loopback server, served slowly
enough for the progress bars to have something to show.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3

from spotsyncd.ledger.consistency import missing_files
from tests.e2e.harness import Env, canned_search_daemon, wait_for
from tests.fakes.audio import FFMPEG, make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.youtube_api_server import ApiStandIn
from tests.fakes.ytmusic_server import Entry, YtMusicStandIn

ROOT = Path(__file__).resolve().parents[2]
SONGS = [  # (video id, title, artist, album, year)
    ("vqSongAAAA1", "Veridis Quo", "Daft Punk", "Discovery", "2001"),
    ("hsSongAAAA1", "Harbour Lights", "The Lantern Rooms", "Harbour Lights", "2019"),
    ("nkSongAAAA1", "Northern Kites", "June Vale", "Paper Sky", "2021"),
    ("glSongAAAA1", "Glass Rivers", "Marrow Hill", "Estuary", "2015"),
    ("smSongAAAA1", "Slow Machines", "Cinder Coast", "Ironwork", "2018"),
]
DECOYS = [
    Entry("vqLiveAAAA1", "Veridis Quo (Live)", ("Daft Punk",), "6:10", album="Alive 2007"),
    Entry("vqCoverAAA1", "Veridis Quo", ("Piano Tribute Players",), "5:40", album="Covers"),
    Entry("hsVideoAAA1", "The Lantern Rooms - Harbour Lights (Official Video)",
          ("The Lantern Rooms",), "4:10", kind="video"),
    Entry("unsureAAAA1", "Unfound Song (Karaoke Version)", ("Sing Along Stars",), "3:00"),
    Entry("unsureAAAA2", "Unfound Melody", ("Nobody Known",), "3:20"),
]  # fmt: skip


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("get-audio") / "tone.wav"
    make_audio(path, seconds=3.0, lead_silence=0.5, tail_silence=0.5, freq=440)
    return path.read_bytes()


def _slow(body: bytes, chunk: int = 48 * 1024, pause: float = 0.03) -> Any:
    def handler(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "audio/wav")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        if req.command == "HEAD":
            return
        try:
            for start in range(0, len(body), chunk):
                req.wfile.write(body[start : start + chunk])
                req.wfile.flush()
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass

    return handler


def _cover() -> bytes:
    return subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
         "color=c=blue:s=64x64", "-frames:v", "1", "-f", "mjpeg", "pipe:1"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip


class World:
    def __init__(self, env: Env, ytm: YtMusicStandIn, audio: LoopbackServer, root: Path) -> None:
        self.env, self.ytm, self.audio, self.root = env, ytm, audio, root

    def environ(self) -> dict[str, str]:
        return self.env.environ(
            YTM_STANDIN_URL=self.ytm.base_url,
            AUDIO_MAP=str(self.root / "audio-map.json"),
            PYTHONPATH=str(ROOT),
            TERM="xterm-256color",
            COLUMNS="140",
            LINES="40",
        )

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tests.e2e.get_stand_ins", *args]

    def get(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )


API_KEY = "AIzaSyE2E-stand-in-key-000000000000000"
API_VIDEOS = {"nfVideoAAA1": ("Paper Lanterns - Night Ferry (Official Video)", "Paper Lanterns",
                              "PT4M2S", "2")}  # fmt: skip


@contextlib.contextmanager
def _make_world(tmp_path: Path, tone: bytes, api_url: str | None = None) -> Iterator[World]:
    settings: dict[str, Any] = {"matching": {"youtube_fallback": False}}  # YouTube is offline
    if api_url is not None:
        settings["youtube"] = {"api_key": API_KEY, "api_url": api_url}
    env = Env(tmp_path, **settings)
    with LoopbackServer() as audio:
        cover_url = audio.add("/cover.jpg", _cover(), "image/jpeg")
        catalogue = [
            Entry(vid, title, (artist,), "4:00", album=album, year=year, thumbnail=cover_url)
            for vid, title, artist, album, year in SONGS
        ] + DECOYS
        mapping = {vid: audio.route(f"/audio/{vid}.wav", _slow(tone)) for vid in API_VIDEOS}
        for entry in catalogue:
            mapping[entry.video_id] = audio.route(f"/audio/{entry.video_id}.wav", _slow(tone))
        (tmp_path / "audio-map.json").write_text(json.dumps(mapping), encoding="utf-8")
        with YtMusicStandIn(catalogue) as ytm:
            yield World(env, ytm, audio, tmp_path)


@pytest.fixture
def world(tmp_path: Path, tone: bytes) -> Iterator[World]:
    with _make_world(tmp_path, tone) as made:
        yield made


def run_in_pty(
    world: World, *args: str, interrupt_on: str | None = None, timeout: float = 90
) -> tuple[int, str]:
    """Run get with its stdout and stderr on a pseudo-terminal; all it printed, and its exit
    code. With ``interrupt_on``, send SIGINT once that text has appeared."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        world.command(*args),
        env=world.environ(),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=world.root,
        start_new_session=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    interrupted = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            if interrupt_on and not interrupted and interrupt_on.encode() in b"".join(chunks):
                proc.send_signal(signal.SIGINT)
                interrupted = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_five_tracks_in_a_terminal_show_bars_then_a_summary(world: World) -> None:
    links = world.root / "five.txt"
    links.write_text(
        "Daft Punk - Veridis Quo\n"
        "Harbour Lights by The Lantern Rooms\n"
        "June Vale – Northern Kites\n"
        "marrow hill - glass rivers   # lower case is fine\n"
        "Cinder Coast - Slow Machines\n",
        encoding="utf-8",
    )
    code, output = run_in_pty(world, str(links))
    text = _plain(output)

    assert code == 0, text
    assert "downloading" in text and "all tracks" in text  # the live bars were drawn
    summary = text[text.rindex("5 done, 0 failed of 5") :]  # the table comes last
    for _vid, title, artist, _album, _year in SONGS:
        assert title in summary and artist in summary
    files = sorted(world.env.library.rglob("*.mp3"))
    assert len(files) == 5
    assert "Daft Punk/Discovery/Veridis Quo.mp3" in {f.relative_to(world.env.library).as_posix()
                                                     for f in files}  # fmt: skip
    tags = ID3(world.env.library / "Daft Punk/Discovery/Veridis Quo.mp3")
    assert str(tags["TALB"]) == "Discovery" and str(tags["TDRC"]) == "2001"
    assert str(tags["TPE1"]) == "Daft Punk" and tags.getall("APIC")  # YouTube Music's cover
    assert world.env.counts()["done"] == 5
    assert not any((world.env.state / "staging").iterdir())


def test_json_lines_and_a_second_get_says_done_at_once(world: World) -> None:
    first = world.get("--json", "Daft Punk - Veridis Quo")
    assert first.returncode == 0, first.stderr
    (line,) = first.stdout.splitlines()
    data = json.loads(line)
    assert data["state"] == "done" and data["already"] is False
    assert data["key"] == "search:daft punk - veridis quo"
    assert data["title"] == "Veridis Quo" and Path(data["path"]).is_file()
    searches = len(world.ytm.queries)

    started = time.monotonic()
    again = world.get("--json", "veridis quo by DAFT PUNK")  # the same search, typed otherwise
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["already"] is True
    assert json.loads(again.stdout)["path"] == data["path"]
    assert time.monotonic() - started < 30  # a process start; no search, no download:
    assert len(world.ytm.queries) == searches  # nothing searched or fetched again


def test_search_lines_in_a_link_file_refuse_guess_and_dedupe(world: World) -> None:
    links = world.root / "mixed.txt"
    links.write_text(
        "Daft Punk - Veridis Quo\n"
        "DAFT PUNK — veridis quo\n"  # the same search again: one track
        "hello world\n"
        "Nobody Known - Unfound Song\n",  # only a karaoke version and another song exist
        encoding="utf-8",
    )
    result = world.get("--json", str(links))

    assert result.returncode == 1
    rows = {row["key"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"search:daft punk - veridis quo", "search:nobody known - unfound song"}
    assert rows["search:daft punk - veridis quo"]["state"] == "done"
    unsure = rows["search:nobody known - unfound song"]
    assert unsure["state"] == "failed" and unsure["error_class"] == "no_confident_match"
    assert "hello world" in result.stderr and "'Artist - Title'" in result.stderr
    why = world.env.cli("why", "--json", "Nobody Known - Unfound Song", check=True)  # as typed
    candidates = json.loads(why.stdout)["candidates"]
    assert {c["video_id"] for c in candidates} >= {"unsureAAAA1", "unsureAAAA2"}
    assert not list(world.env.library.rglob("*Unfound*"))  # no guess was filed
    assert "youtube_api" not in world.env.status()  # no key: the API is never involved


def test_overrides_apply_to_this_run_only(world: World) -> None:
    out = world.root / "elsewhere"
    result = world.get("--format", "opus", "--output", str(out), "June Vale - Northern Kites")
    assert result.returncode == 0, result.stdout + result.stderr
    (filed,) = out.rglob("*.opus")
    assert filed.name == "Northern Kites.opus"
    assert not list(world.env.library.rglob("*.opus"))
    tracks = json.loads(world.env.cli("tracks", "--json", check=True).stdout)
    assert tracks[0]["path"] == filed.as_posix()  # outside the library: kept absolute
    ledger = world.env.ledger()
    try:  # the daemon's and doctor's check finds the file where the ledger says
        assert missing_files(ledger, world.env.library) == []
    finally:
        ledger.close()


def test_ctrl_c_stops_cleanly(world: World) -> None:
    links = world.root / "five.txt"
    links.write_text("\n".join(f"{artist} - {title}" for _, title, artist, _, _ in SONGS))
    code, output = run_in_pty(world, str(links), interrupt_on="downloading")

    assert code == 130, _plain(output)
    assert "interrupted" in _plain(output)
    ledger = world.env.ledger()
    try:
        counts = ledger.counts()
    finally:
        ledger.close()
    assert counts["running"] == 0 and counts["pending"] + counts["done"] == 5
    assert not any((world.env.state / "staging").iterdir())
    assert not list(world.env.library.rglob(".*"))  # no half-moved temp files


def test_with_a_daemon_running_get_hands_over_and_follows(world: World, tmp_path: Path) -> None:
    search = tmp_path / "search.json"
    search.write_text(
        json.dumps(
            [{"video_id": "glSongAAAA1", "title": "Glass Rivers", "artists": ["Marrow Hill"],
              "album": "Estuary", "duration_s": 240, "kind": "song",
              "url": json.loads((tmp_path / "audio-map.json").read_text())["glSongAAAA1"]}]
        ),
        encoding="utf-8",
    )  # fmt: skip
    with canned_search_daemon(world.env, search) as daemon:
        daemon.wait_ready()
        result = world.env.cli("get", "--json", "Marrow Hill - Glass Rivers", timeout=60)
        assert result.returncode == 0, result.stderr + daemon.output()[-3000:]
        row = json.loads(result.stdout)
        assert row["state"] == "done" and Path(row["path"]).is_file()
        assert "the daemon (pid" in result.stderr
        wait_for(lambda: "done search:marrow hill - glass rivers" in daemon.output(), 10, daemon)
        daemon.stop()


@pytest.fixture
def api_server() -> Iterator[ApiStandIn]:
    with LoopbackServer() as server:
        yield ApiStandIn(server, API_VIDEOS)


def test_youtube_data_api_finds_what_youtube_music_lacks(
    api_server: ApiStandIn, tmp_path: Path, tone: bytes
) -> None:
    with _make_world(tmp_path, tone, api_server.url) as world:
        result = world.get("--json", "Paper Lanterns - Night Ferry")
        assert result.returncode == 0, result.stderr
        row = json.loads(result.stdout)
        assert row["state"] == "done" and row["title"] == "Night Ferry"
        assert [m for m, _p, _k in api_server.calls] == ["search", "videos"]
        assert {key for _m, _p, key in api_server.calls} == {API_KEY}
        status = world.env.status()
        assert status["youtube_api"]["units_used"] == 101
        assert status["youtube_api"]["daily_quota"] == 10_000
        shown = world.env.cli("status", check=True).stdout
        assert "YouTube Data API: 101 of 10000 units used today" in shown
        config = world.env.cli("config", "show", check=True).stdout
        log = (world.env.state / "logs" / "spotsyncd.log").read_text(encoding="utf-8")
        for text in (result.stdout, result.stderr, shown, config, log, json.dumps(status)):
            assert API_KEY not in text


def test_a_playlist_file_is_fetched_with_its_playlist(world: World) -> None:
    """``get FILE.csv``: each entry is searched with the file's album and length, and the file's
    playlist is written to the library's Playlists/ in the file's order."""
    playlist = world.root / "Road Trip.csv"
    playlist.write_text(
        "Artist,Title,Album,Duration (ms)\n"
        "Marrow Hill,Glass Rivers,Estuary,240000\n"
        "Daft Punk,Veridis Quo,Discovery,240000\n"
        "Marrow Hill,Glass Rivers,Estuary,240000\n",  # twice in the list: one track
        encoding="utf-8",
    )
    result = world.get("--json", str(playlist))

    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(row["key"] for row in rows) == [
        "search:daft punk - veridis quo",
        "search:marrow hill - glass rivers",
    ]
    assert all(row["state"] == "done" for row in rows)
    m3u8 = world.env.library / "Playlists" / "Road Trip.m3u8"
    entries = [line for line in m3u8.read_text("utf-8").splitlines() if not line.startswith("#")]
    assert [Path(entry).stem for entry in entries] == [
        Path(row["path"]).stem
        for key in ("search:marrow hill - glass rivers", "search:daft punk - veridis quo")
        for row in rows
        if row["key"] == key
    ]
    ledger = world.env.ledger()
    try:
        track = ledger.track("search:daft punk - veridis quo")
        assert track is not None and track.meta.album == "Discovery"
    finally:
        ledger.close()
