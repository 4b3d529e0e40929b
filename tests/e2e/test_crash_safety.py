"""Crash safety: the daemon is ``kill -9``'d at random moments while a batch runs (during
downloads, encodes, tagging, the final move, ledger writes) and restarted each time. Afterwards
every link is in the library exactly once, complete and tagged, with nothing half-written left
anywhere, and the ledger agrees with the disk."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import duration, make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(300)


def _serve_batch(server: LoopbackServer, folder: Path, count: int) -> list[str]:
    urls = []
    for n in range(count):
        path = make_audio(
            folder / f"s{n}.mp3",
            seconds=1.5,
            freq=200 + 20 * n,
            tags={
                "title": f"Song {n}",
                "artist": "Crash Artist",
                "album": "Crash Album",
                "track": str(n + 1),
            },
        )
        urls.append(server.add(f"/batch/s{n}.mp3", path.read_bytes(), "audio/mpeg"))
    return urls


def _all_done(env: Env, total: int) -> bool:
    counts = env.counts()
    return counts.get("done", 0) == total


@pytest.mark.parametrize(
    "links,kills",
    [
        pytest.param(30, 10, id="30-links-10-kills"),
        pytest.param(60, 25, id="60-links-25-kills", marks=pytest.mark.slow),
    ],
)
def test_kill9_at_random_moments(tmp_path: Path, links: int, kills: int) -> None:
    rng = random.Random(links * 1000 + kills)
    env = Env(tmp_path / "world", download={"workers": 2})
    with LoopbackServer() as server:
        # A third of a second per download, as on a slow link: kills land mid-transfer too
        # (the next run resumes the .part), and a fast machine cannot finish the batch
        # between two kills (unpaced, an idle machine filed up to six per run and the batch
        # was done before the last kill).
        server.pace(80_000)
        urls = _serve_batch(server, tmp_path, links)
        env.drop("batch.txt", urls)
        killed_mid_batch = 0
        for _ in range(kills):
            with Daemon(env) as daemon:
                # Kill sometimes before READY, mostly while jobs run.
                wait_for(lambda: daemon.output().count("\n") > 2, 20, daemon, what="output")
                time.sleep(rng.uniform(0.05, 1.2))
                daemon.kill9()
            if _all_done(env, links):
                break
            killed_mid_batch += 1
        assert killed_mid_batch == kills  # every kill landed while work was left
        with Daemon(env) as daemon:
            daemon.wait_ready()
            wait_for(lambda: _all_done(env, links), 180, daemon, what="every link done")
            daemon.stop(signal.SIGTERM)

    files = env.library_files()
    assert len(files) == links, [str(f.relative_to(env.library)) for f in files]
    assert not [
        f for f in env.library.rglob("*") if f.name.startswith(".") or f.suffix in (".tmp", ".part")
    ]
    assert not any((env.state / "staging").iterdir())
    ledger = env.ledger()
    try:
        tracks = {t.key: t for t in ledger.tracks()}
        assert len(tracks) == links
        by_path = {}
        for track in tracks.values():
            assert track.state == "done" and track.path, track
            by_path[track.path] = track.key
        assert len(by_path) == links  # no two tracks share a file
        for path in files:
            rel = path.relative_to(env.library).as_posix()
            key = by_path[rel]
            assert str(ID3(path)["TXXX:SPOTSYNCD_KEY"]) == key
            assert 1.2 <= duration(path) <= 1.8, path
        assert ledger.integrity_check() == []
    finally:
        ledger.close()
