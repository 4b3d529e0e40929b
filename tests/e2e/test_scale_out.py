"""Scale out for real: the daemon as coordinator, two ``spotsyncd worker`` processes, Celery on a
Redis of the test's own, the ledger on PostgreSQL. 40 links from loopback; one worker is killed
with SIGKILL halfway, and still every track is done once, one file each, nothing in staging.
Redis restarted (emptied) mid-run and PostgreSQL restarted mid-run lose nothing either."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.models import JobState
from tests.e2e.harness import Daemon, Env, cli_command, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.servers import PostgresServer, RedisServer

pytestmark = pytest.mark.timeout(240)

LINKS = 40
RESTART_LINKS = 16  # enough to be mid-run when the server goes away; keeps the suite short


@pytest.fixture
def tracks(tmp_path: Path) -> Iterator[LoopbackServer]:
    data = make_audio(tmp_path / "tiny.mp3", seconds=1.0, freq=440).read_bytes()
    with LoopbackServer() as server:
        for index in range(LINKS):
            server.add(f"/song{index:02d}.mp3", data, "audio/mpeg")
        yield server


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def scale_env(root: Path, ledger_url: str, broker_url: str) -> Env:
    return Env(
        root,
        log_level="info",
        ledger={"url": ledger_url},
        queue={"backend": "celery", "broker_url": broker_url, "worker_timeout": "5s"},
        # This is about dispatch, not sound: the quickest encode keeps the test short.
        audio={"normalize": "off", "trim_silence": False},
    )


def worker(env: Env, concurrency: int = 2) -> Daemon:
    return Daemon(env, command=[*cli_command(), "worker", "--concurrency", str(concurrency)])


def done_count(env: Env) -> int:
    return env.counts().get("done", 0)


def running_on(env: Env, name_part: str) -> bool:
    ledger = env.ledger()
    try:
        return any(
            (t.progress is not None or t.state == JobState.RUNNING)
            and _worker_of(ledger, t.id).startswith(name_part)
            for t in ledger.running()
        )
    finally:
        ledger.close()


def _worker_of(ledger: object, track_id: int) -> str:
    from sqlalchemy import select

    from spotsyncd.ledger.schema import jobs

    with ledger.engine.connect() as conn:  # type: ignore[attr-defined]
        value = conn.execute(select(jobs.c.worker).where(jobs.c.track_id == track_id)).scalar()
    return str(value or "")


def no_traceback(log: str) -> None:
    at = log.find("Traceback")
    assert at < 0, log[max(0, at - 500) : at + 3000]


def check_all_done_once(env: Env, links: int = LINKS) -> None:
    assert env.counts() == {
        "pending": 0,
        "waiting": 0,
        "running": 0,
        "done": links,
        "failed": 0,
        "review": 0,
        "skipped": 0,
    }
    files = env.library_files()
    assert len(files) == links, [f.name for f in files]
    assert len({f.name for f in files}) == links  # each track once
    staging = env.state / "staging"
    assert not staging.exists() or not any(staging.iterdir()), list(staging.iterdir())


def test_two_workers_one_killed_halfway_every_track_once(
    tmp_path: Path, tracks: LoopbackServer, redis: RedisServer, postgres_url: str
) -> None:
    env = scale_env(tmp_path / "world", postgres_url, redis.url)
    # About a second per download: the kill lands inside a job (a tiny track's whole job took
    # ~0.1 s, so it could end between "running on one" and the kill, and nothing was lost).
    tracks.pace(16_000)
    with Daemon(env) as coordinator, worker(env) as one, worker(env) as two:
        coordinator.wait_ready(60)
        one.wait_ready(60)
        two.wait_ready(60)
        env.drop("batch.txt", [tracks.url(f"/song{i:02d}.mp3") for i in range(LINKS)])
        pid = str(one.proc.pid)
        # Kill worker one while it is in the middle of a job, once a quarter is done.
        wait_for(lambda: done_count(env) >= LINKS // 4, 120, coordinator, what="a quarter done")
        wait_for(lambda: running_on(env, f"{_host()}:{pid}:"), 60, one, what="a job on one")
        one.kill9()
        wait_for(lambda: done_count(env) == LINKS, 150, coordinator, what="all 40 done")
        # The lost job was handed on, not left running.
        assert "stopped heart-beating" in coordinator.output()
        coordinator.stop()
        two.stop()
    check_all_done_once(env)
    for process in (coordinator, two):
        no_traceback(process.output())


def _host() -> str:
    import socket

    return socket.gethostname()


def test_redis_restarted_mid_run_loses_nothing(
    tmp_path: Path, tracks: LoopbackServer, redis: RedisServer, postgres_url: str
) -> None:
    env = scale_env(tmp_path / "world", postgres_url, redis.url)
    with Daemon(env) as coordinator, worker(env) as one:
        coordinator.wait_ready(60)
        one.wait_ready(60)
        env.drop("batch.txt", [tracks.url(f"/song{i:02d}.mp3") for i in range(RESTART_LINKS)])
        wait_for(lambda: done_count(env) >= 3, 120, coordinator, what="3 done")
        redis.stop()  # everything in it is gone: a restart with --save "" is a flush
        time.sleep(2)
        redis.start()
        wait_for(lambda: done_count(env) == RESTART_LINKS, 150, coordinator, what="all done")
        coordinator.stop()
        one.stop()
    check_all_done_once(env, RESTART_LINKS)
    log = coordinator.output()
    assert log.count("the Redis broker is unreachable") <= 1
    no_traceback(log)


def test_postgresql_restarted_mid_run_loses_nothing(
    tmp_path: Path, tracks: LoopbackServer, redis: RedisServer
) -> None:
    with PostgresServer() as database:
        env = scale_env(tmp_path / "world", database.url, redis.url)
        with Daemon(env) as coordinator, worker(env) as one:
            coordinator.wait_ready(60)
            one.wait_ready(60)
            env.drop("batch.txt", [tracks.url(f"/song{i:02d}.mp3") for i in range(RESTART_LINKS)])
            wait_for(lambda: done_count(env) >= 3, 120, coordinator, what="3 done")
            database.stop()
            time.sleep(3)
            database.start()
            wait_for(lambda: done_count(env) == RESTART_LINKS, 150, coordinator, what="all done")
            coordinator.stop()
            one.stop()
        check_all_done_once(env, RESTART_LINKS)
    for process in (coordinator, one):
        log = process.output()
        assert log.count("the ledger database is unreachable") <= 1, log[-3000:]
        no_traceback(log)
