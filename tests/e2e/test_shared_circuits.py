"""Every process acts as one toward an outside service (issue 29), for real: the daemon alone
(local mode, SQLite), or the coordinator and two ``spotsyncd worker`` processes (Celery on a
Redis of the test's own, the ledger on PostgreSQL).

- A Spotify stand-in answers the first Web API call with 429 and a Retry-After: it hears exactly
  one call from all processes together until then; every Spotify job waits without spending an
  attempt and is filed after; direct downloads go on meanwhile.
- ``sources.direct.max_concurrent: 2`` with two workers of 4 threads: the audio server never
  answers more than 2 transfers at once (it counts).
- A daemon restarted while the circuit is open keeps it (it is in the ledger).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from spotsyncd.ledger.schema import jobs, tracks
from tests.e2e.harness import (
    Daemon,
    Env,
    canned_search_daemon,
    cli_command,
    spotify_env,
    wait_for,
)
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.spotify_api import FakeSpotify
from tests.servers import RedisServer

pytestmark = pytest.mark.timeout(240)

# Spotify says 30 s in the issue; 20 s proves the same (one call in the window, every Spotify
# job after it) and keeps the suite shorter.
RETRY_AFTER = 20
TITLES = ["First Light", "Second Wind", "Third Eye", "Fourth Wall"]
DIRECT = 4


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def _world(tmp_path: Path, spotify: FakeSpotify, audio: LoopbackServer) -> tuple[list[str], Path]:
    """Four Spotify tracks (their audio found by the canned search) and four direct links."""
    spotify.local_images = True
    ids = spotify.add_album("4LBUMf0rTe5tS000000000", "Night Drive", ["Neon Coast"], TITLES)
    data = make_audio(tmp_path / "tone.mp3", seconds=1.0, freq=440).read_bytes()
    candidates = []
    for index, title in enumerate(TITLES):
        url = audio.add(f"/song{index}.mp3", data, "audio/mpeg")
        candidates.append({
            "video_id": f"song{index:08d}", "title": title, "artists": ["Neon Coast"],
            "album": "Night Drive", "duration_s": 180 + index, "kind": "song", "url": url,
        })  # fmt: skip
    for index in range(DIRECT):
        audio.add(f"/direct{index}.mp3", data, "audio/mpeg")
    search_file = tmp_path / "candidates.json"
    search_file.write_text(json.dumps(candidates), encoding="utf-8")
    links = [f"https://open.spotify.com/track/{track_id}" for track_id in ids]
    links += [audio.url(f"/direct{index}.mp3") for index in range(DIRECT)]
    return links, search_file


def _jobs(env: Env) -> dict[str, dict[str, Any]]:
    """Each track's job as the ledger has it: state, attempts, done_at, retry_at."""
    ledger = env.ledger()
    try:
        with ledger.engine.connect() as conn:
            rows = conn.execute(
                select(
                    tracks.c.key, tracks.c.done_at, jobs.c.state, jobs.c.attempts, jobs.c.retry_at
                ).join(jobs, jobs.c.track_id == tracks.c.id)  # fmt: skip
            ).all()
    finally:
        ledger.close()
    return {row.key: dict(row._mapping) for row in rows}


def _spotify_keys(found: dict[str, dict[str, Any]]) -> list[str]:
    return [key for key in found if key.startswith("spotify:track:")]


def _direct_keys(found: dict[str, dict[str, Any]]) -> list[str]:
    return [key for key in found if not key.startswith("spotify:")]


def _done(env: Env, keys: list[str]) -> bool:
    found = _jobs(env)
    return bool(keys) and all(found.get(k, {}).get("state") == "done" for k in keys)


# yt-dlp (from main's PO-token plugins) prints this when two threads load its plugins at once;
# it is caught there and harmless here, and reported to the plugins' owner: not this test's.
PLUGIN_RACE = "Error while importing module 'yt_dlp_plugins."


def _no_traceback(log: str) -> None:
    at = log.find("Traceback")
    while at >= 0 and PLUGIN_RACE in log[max(0, at - 200) : at]:
        at = log.find("Traceback", at + 1)
    assert at < 0, log[max(0, at - 500) : at + 3000]


def _start(env: Env, search_file: Path, celery: bool, stack: ExitStack) -> list[Daemon]:
    processes = [stack.enter_context(canned_search_daemon(env, search_file))]
    if celery:
        for _ in range(2):
            processes.append(
                stack.enter_context(canned_search_daemon(env, search_file, "worker", "2"))
            )
    for process in processes:
        process.wait_ready(60)
    return processes


@pytest.mark.parametrize("celery", [False, True], ids=["local", "celery"])
def test_a_429_stops_every_process_until_retry_after(
    tmp_path: Path, celery: bool, request: pytest.FixtureRequest
) -> None:
    scale: dict[str, Any] = {}
    if celery:
        redis = request.getfixturevalue("redis")
        scale = {
            "ledger": {"url": request.getfixturevalue("postgres_url")},
            "queue": {"backend": "celery", "broker_url": redis.url, "worker_timeout": "5s"},
        }
    with FakeSpotify() as spotify, LoopbackServer() as audio, ExitStack() as stack:
        links, search_file = _world(tmp_path, spotify, audio)
        spotify.fault_api(429, retry_after=str(RETRY_AFTER))
        env = spotify_env(
            tmp_path / "world", spotify, audio={"normalize": "off", "trim_silence": False}, **scale
        )
        processes = _start(env, search_file, celery, stack)
        env.drop("mixed.txt", links)
        wait_for(lambda: spotify.api_calls, 60, processes[0], what="a Spotify API call")
        first = spotify.api_calls[0][0]
        # While the circuit is open: status (another process) shows it, as the API would.
        circuit = env.status()["circuits"].get("spotify") or {}
        if time.time() < first + RETRY_AFTER - 1:
            assert circuit.get("open"), circuit
            assert circuit.get("error_class") == "rate_limited", circuit
        wait_for(lambda: len(_jobs(env)) == len(links), 30, processes[0], what="links queued")
        direct = _direct_keys(_jobs(env))
        # Direct downloads do not wait for Spotify.
        wait_for(lambda: _done(env, direct), 60, processes[0], what="the direct links done")
        spotify_keys = _spotify_keys(_jobs(env))
        assert len(spotify_keys) == len(TITLES)
        wait_for(lambda: _done(env, spotify_keys), 120, processes[0], what="Spotify tracks done")
        for process in processes:
            process.stop()
    calls = spotify.api_calls
    in_window = [path for at, path in calls if at < first + RETRY_AFTER]
    assert len(in_window) == 1, calls  # one call from all processes together
    found = _jobs(env)
    for key in _direct_keys(found):
        assert found[key]["done_at"] < first + RETRY_AFTER, (key, found[key])
    for key in _spotify_keys(found):
        assert found[key]["done_at"] >= first + RETRY_AFTER, (key, found[key])
        # The wait spent no attempt: each was filed at its first counted attempt.
        assert found[key]["attempts"] == 1, (key, found[key])
    assert len(env.library_files()) == len(TITLES) + DIRECT
    for process in processes:
        _no_traceback(process.output())


def _budget_env(root: Path, **scale: Any) -> Env:
    return Env(
        root,
        log_level="info",
        download={"workers": 4},
        sources={"direct": {"max_concurrent": 2}},
        audio={"normalize": "off", "trim_silence": False},
        **scale,
    )


def _paced_tracks(tmp_path: Path, server: LoopbackServer, count: int) -> list[str]:
    data = make_audio(tmp_path / "tiny.mp3", seconds=1.0, freq=440).read_bytes()
    server.pace(len(data) * 2)  # half a second per transfer: they overlap when allowed to
    return [server.add(f"/song{i:02d}.mp3", data, "audio/mpeg") for i in range(count)]


def test_a_budget_holds_across_two_workers(
    tmp_path: Path, redis: RedisServer, postgres_url: str
) -> None:
    with LoopbackServer() as server:
        links = _paced_tracks(tmp_path, server, 12)
        env = _budget_env(
            tmp_path / "world",
            ledger={"url": postgres_url},
            queue={"backend": "celery", "broker_url": redis.url, "worker_timeout": "5s"},
        )
        worker = [*cli_command(), "worker", "--concurrency", "4"]
        with (
            Daemon(env) as coordinator,
            Daemon(env, command=worker) as one,
            Daemon(env, command=worker) as two,
        ):
            for process in (coordinator, one, two):
                process.wait_ready(60)
            env.drop("batch.txt", links)
            wait_for(lambda: env.counts().get("done") == 12, 120, coordinator, what="all done")
            for process in (coordinator, one, two):
                process.stop()
        assert server.most_in_flight == 2, server.most_in_flight  # never more, and used fully
        for process in (coordinator, one, two):
            _no_traceback(process.output())


def test_a_budget_holds_in_the_daemon_alone(tmp_path: Path) -> None:
    with LoopbackServer() as server:
        links = _paced_tracks(tmp_path, server, 8)
        env = _budget_env(tmp_path / "world")
        with Daemon(env) as daemon:
            daemon.wait_ready(60)
            env.drop("batch.txt", links)
            wait_for(lambda: env.counts().get("done") == 8, 120, daemon, what="all done")
            daemon.stop()
        assert server.most_in_flight == 2, server.most_in_flight


def test_a_restarted_daemon_keeps_an_open_circuit(tmp_path: Path) -> None:
    with FakeSpotify() as spotify, LoopbackServer() as audio:
        links, search_file = _world(tmp_path, spotify, audio)
        spotify.fault_api(429, retry_after="3600")
        env = spotify_env(tmp_path / "world", spotify)
        with canned_search_daemon(env, search_file) as daemon:
            daemon.wait_ready(60)
            env.drop("first.txt", links[:1])
            wait_for(lambda: spotify.api_calls, 60, daemon, what="a Spotify API call")
            wait_for(lambda: (env.status()["circuits"].get("spotify") or {}).get("open"), 30,
                     daemon, what="the circuit open")  # fmt: skip
            daemon.stop()
        with canned_search_daemon(env, search_file) as again:
            again.wait_ready(60)
            env.drop("second.txt", links[1:2] + links[len(TITLES) :])
            wait_for(lambda: len(_jobs(env)) == 2 + DIRECT, 30, again, what="the links queued")
            direct = _direct_keys(_jobs(env))
            wait_for(lambda: _done(env, direct), 60, again, what="the direct links done")
            time.sleep(2)  # time enough for a worker to call Spotify, were it to
            circuit = env.status()["circuits"]["spotify"]
            found = _jobs(env)
            again.stop()
    assert len(spotify.api_calls) == 1, spotify.api_calls
    assert circuit["open"] and circuit["open_until"] > time.time() + 3000, circuit
    assert "daemon:" in circuit["opened_by"]
    for key in _spotify_keys(found):
        job = found[key]
        assert job["state"] == "pending" and job["attempts"] == 0, (key, job)
        assert job["retry_at"] == pytest.approx(circuit["open_until"], abs=1), (key, job)
