"""Lyrics, ``verify`` and ``retag`` end to end: the daemon as a real process, audio and LRCLIB
served by loopback stand-ins, the CLI run as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import mutagen
import pytest
import yaml
from mutagen.id3 import ID3

from spotsyncd.media.lyrics import parse_lrc
from spotsyncd.media.tags import MutagenTagger
from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.http_server import LoopbackServer
from tests.fakes.lrclib import PLAIN, SYNCED, FakeLrclib

pytestmark = pytest.mark.timeout(420)  # two daemon runs and a dozen CLI calls: slow under load
CODECS = ("mp3", "flac", "ogg", "m4a")


def _settled(env: Env, total: int) -> bool:
    counts = env.counts()
    return counts.get("done", 0) + counts.get("failed", 0) >= total and not (
        counts.get("pending") or counts.get("running")
    )


def _by_title(env: Env) -> dict[str, Path]:
    rows = json.loads(env.cli("tracks", "--state", "done", "--json", check=True).stdout)
    return {row["title"]: env.library / row["path"] for row in rows}


def _problems(env: Env, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = env.cli("verify", "--json", *args)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert "summary" in lines[-1], result.stdout + result.stderr
    return result.returncode, lines[:-1]


def test_lyrics_verify_fix_and_retag(tmp_path: Path, audio_server: LoopbackServer) -> None:
    with LoopbackServer() as lrclib_server:
        lrclib = FakeLrclib(lrclib_server, lenient=True)
        lrclib.add("Test Artist", "Tone mp3", album="Test Album", duration=5.0)
        lrclib.add("Test Artist", "Tone flac", album="Test Album", duration=9.0)  # 4 s off
        lyrics = {"enabled": True, "api_url": lrclib.api_url, "lrc_files": True}
        env = Env(tmp_path / "world", lyrics=lyrics)
        links = [audio_server.url(f"/{codec}/tone.{codec}") for codec in CODECS]
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.drop("batch.txt", links)
            wait_for(lambda: _settled(env, len(CODECS)), 150, daemon, what="all jobs to end")
            daemon.stop()
        assert env.counts()["done"] == len(CODECS)
        files = _by_title(env)

        # Lyrics: embedded and read back (USLT + SYLT), and an .lrc beside the file.
        tagger = MutagenTagger()
        mp3 = files["Tone mp3"]
        assert tagger.read_lyrics(mp3).plain == PLAIN
        assert str(ID3(mp3).getall("USLT")[0].text) == PLAIN
        assert ID3(mp3).getall("SYLT")[0].text[0] == ("First line of the song", 400)
        assert parse_lrc(mp3.with_suffix(".lrc").read_text(encoding="utf-8")) == parse_lrc(SYNCED)
        # LRCLIB's flac recording is 4 s longer than ours: no lyrics rather than wrong ones.
        assert tagger.read_lyrics(files["Tone flac"]).plain is None
        assert not files["Tone flac"].with_suffix(".lrc").exists()
        queried = {q["track_name"]: q for q in lrclib.queries}
        assert queried["Tone mp3"]["album_name"] == "Test Album"
        assert queried["Tone mp3"]["duration"] == "5"

    # verify: a deleted, a truncated and an untagged file.
    assert _problems(env) == (0, [])
    files["Tone ogg"].unlink()
    data = files["Tone flac"].read_bytes()
    files["Tone flac"].write_bytes(data[: len(data) // 2])
    mutagen.File(mp3).delete()
    code, found = _problems(env)
    assert code == 1
    kinds = {p["problem"]: p for p in found}
    assert set(kinds) == {"missing", "broken", "untagged"}
    assert kinds["missing"]["path"] == files["Tone ogg"].relative_to(env.library).as_posix()
    assert kinds["untagged"]["fix"] == "rewrite its tags from the ledger"
    text = env.cli("verify").stdout
    assert "--fix would: queue the track to download again" in text

    fixed = env.cli("verify", "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "2 tracks queued to download again" in fixed.stdout
    assert tagger.read_key(mp3) is not None and tagger.read(mp3).title == "Tone mp3"
    once = env.cli("run", "--once", timeout=150)
    assert once.returncode == 0, once.stdout + once.stderr
    assert env.counts()["done"] == len(CODECS)
    assert _problems(env) == (0, [])
    assert files["Tone ogg"].is_file() and files["Tone flac"].is_file()

    # retag after a template change: --move files them anew.
    config = yaml.safe_load(env.config_path.read_text(encoding="utf-8"))
    config["library"] = {"path_template": "{artist} - {title}.{ext}"}
    env.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    dry = env.cli("retag", "--all")
    assert dry.returncode == 0 and "would move" in dry.stdout, dry.stdout + dry.stderr
    moved = env.cli("retag", "--all", "--move", check=True)
    assert f"{len(CODECS)} moved" in moved.stdout, moved.stdout
    assert (env.library / "Test Artist - Tone mp3.mp3").is_file()
    assert (env.library / "Test Artist - Tone mp3.lrc").is_file()
    assert _problems(env) == (0, [])


def test_lrclib_down_never_fails_a_track(tmp_path: Path, audio_server: LoopbackServer) -> None:
    with LoopbackServer() as gone:
        dead_url = gone.url("/api/")  # closed when the block ends: connections are refused
    env = Env(tmp_path / "world", lyrics={"enabled": True, "api_url": dead_url})
    with Daemon(env) as daemon:
        daemon.wait_ready()
        env.drop("one.txt", [audio_server.url("/mp3/tone.mp3")])
        wait_for(lambda: _settled(env, 1), 90, daemon, what="the job to end")
        daemon.stop()
        log = daemon.output()
    assert env.counts()["done"] == 1
    [path] = [p for p in env.library_files() if p.suffix == ".mp3"]
    assert MutagenTagger().read_lyrics(path).plain is None
    assert "LRCLIB unreachable" in log and "Traceback" not in log
