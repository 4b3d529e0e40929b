"""The image really runs: built from this tree, a coordinator and two workers from it on
PostgreSQL and a Redis of the test's own, a link file dropped into the shared library volume.

What a user of ``compose.yaml`` gets, checked from the host: the track is filed once, by a
worker, as uid 10001; ``/api/v1/healthz`` and the dashboard answer through the published port;
``spotsyncd web`` in the coordinator prints a link that logs in from the host; each container's
health check passes; ``docker stop`` (SIGTERM) ends each container within 10 s, and a restarted
coordinator picks up what was dropped while it was down. The settings come from compose.yaml
and the commands from docs/guides/containers.md, so neither can drift from what runs here.

The coordinator has a network of its own (slirp4netns, so it reaches the host's loopback
servers at 10.0.2.2) with its web published on the host's loopback, as compose does; the
workers use the host's network. The port is a free one, not 8642 (other tests and daemons may
hold that): published as itself, as the guide says to do for another port.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from spotsyncd.ledger import Ledger
from tests.container.images import (
    RUNTIME_FLAGS,
    base_image,
    build_image,
    podman,
    remove_image,
    require_engine,
)
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.servers import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guides" / "containers.md"
UID = 10001
STOP_WITHIN_S = 10
HOST_FROM_SLIRP = "10.0.2.2"  # the host's loopback, seen from a slirp4netns network

pytestmark = pytest.mark.timeout(1500)


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    require_engine()
    started = time.monotonic()
    base = base_image()
    made = time.monotonic()
    tag = build_image(base)
    # Shown with -s: what the base and the build cost (bench/RESULTS.md "Container image").
    print(f"\ncontainer base {made - started:.0f} s, build {time.monotonic() - made:.0f} s")
    try:
        yield tag
    finally:
        remove_image(tag)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def tracks(tmp_path: Path) -> Iterator[LoopbackServer]:
    data = make_audio(tmp_path / "tone.mp3", seconds=1.0, freq=440).read_bytes()
    with LoopbackServer() as server:
        for name in ("first", "second"):
            server.add(f"/{name}.mp3", data, "audio/mpeg")
        yield server


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return data


def guide_commands(prefix: str) -> list[list[str]]:
    """The guide's quick-start lines that start with ``prefix``, split into words."""
    quick = GUIDE.read_text(encoding="utf-8").split("```", 2)[1]
    return [line.split("#")[0].split() for line in quick.splitlines() if line.startswith(prefix)]


class Containers:
    """Containers of one test, by role; removed (with their anonymous volumes) afterwards."""

    def __init__(self, image: str) -> None:
        self.image = image
        self.prefix = f"spotsyncd-test-{uuid.uuid4().hex[:8]}"
        self.names: list[str] = []

    def start(self, role: str, args: list[str], options: list[str]) -> str:
        name = f"{self.prefix}-{role}"
        self.names.append(name)
        podman("run", "--detach", "--name", name, "--hostname", name, *RUNTIME_FLAGS,
               *options, self.image, *args)  # fmt: skip
        return name

    def logs(self, name: str) -> str:
        result = podman("logs", name, check=False)
        return result.stdout + result.stderr

    def wait_log(self, name: str, text: str, timeout: float, *, after: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.logs(name).count(text) > after:
                return
            state = podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
            if state not in ("running", "created"):
                raise AssertionError(f"{name} is {state}:\n{self.logs(name)[-4000:]}")
            time.sleep(0.5)
        raise AssertionError(f"{name}: no {text!r} within {timeout}s:\n{self.logs(name)[-4000:]}")

    def stop(self, name: str) -> float:
        """``docker stop``: SIGTERM, then SIGKILL after STOP_WITHIN_S; the seconds it took."""
        started = time.monotonic()
        podman("stop", "--time", str(STOP_WITHIN_S), name, timeout=STOP_WITHIN_S + 30)
        took = time.monotonic() - started
        code = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        assert code == "0", f"{name} ended with {code} after SIGTERM:\n{self.logs(name)[-4000:]}"
        return took

    def exec(self, name: str, args: list[str]) -> str:
        result = podman("exec", name, *args, check=False, timeout=60)
        assert result.returncode == 0, f"{' '.join(args)} in {name}: {result.stderr[-2000:]}"
        return result.stdout

    def remove(self) -> None:
        for name in self.names:
            podman("rm", "--force", "--volumes", "--time", "0", name, check=False, timeout=60)


def environment(ledger_url: str, broker_url: str, host: str, port: int) -> dict[str, str]:
    """compose.yaml's environment for a spotsyncd service, its servers moved to ``host`` and its
    web to ``port``; lyrics and MusicBrainz off (not reachable) and the quickest encode."""
    service = compose()["x-spotsyncd"]["environment"]
    env = {key: str(value) for key, value in service.items()}
    assert env["SPOTSYNCD_QUEUE_BACKEND"] == "celery"
    env["SPOTSYNCD_LEDGER_URL"] = ledger_url.replace("127.0.0.1", host)
    env["SPOTSYNCD_QUEUE_BROKER_URL"] = broker_url.replace("127.0.0.1", host)
    env["SPOTSYNCD_WEB_LISTEN"] = f"0.0.0.0:{port}"
    env["SPOTSYNCD_WEB_ALLOWED_HOSTS"] = f"localhost:{port},127.0.0.1:{port}"
    env.update(
        SPOTSYNCD_LYRICS_ENABLED="false",
        SPOTSYNCD_MUSICBRAINZ_ENABLED="false",
        SPOTSYNCD_NETWORK_ALLOW_PRIVATE="true",  # the test's tracks are served from loopback
        SPOTSYNCD_AUDIO_NORMALIZE="off",
        SPOTSYNCD_AUDIO_TRIM_SILENCE="false",
        SPOTSYNCD_QUEUE_WORKER_TIMEOUT="10s",
    )
    return env


def env_options(env: dict[str, str]) -> list[str]:
    return [option for key, value in env.items() for option in ("--env", f"{key}={value}")]


def published_port(port: int) -> str:
    """compose's port mapping for the coordinator, with ``port`` for 8642."""
    (mapping,) = compose()["services"]["coordinator"]["ports"]
    assert mapping == "127.0.0.1:8642:8642", "compose publishes the web on the host's loopback"
    return mapping.replace("8642", str(port))


def get(
    url: str | urllib.request.Request, opener: urllib.request.OpenerDirector | None = None
) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(url, timeout=10) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def done(ledger_url: str) -> int:
    ledger = Ledger(ledger_url)
    try:
        return ledger.counts().get("done", 0)
    finally:
        ledger.close()


def wait_done(ledger_url: str, count: int, timeout: float, show: Containers) -> None:
    deadline = time.monotonic() + timeout
    while done(ledger_url) < count:
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {n}\n{show.logs(n)[-3000:]}" for n in show.names)
            raise AssertionError(f"{count} tracks not done within {timeout}s\n{logs}")
        time.sleep(0.5)


def drop(inbox: Path, name: str, url: str) -> None:
    part = inbox / f".{name}.part"
    part.write_text(url + "\n", encoding="utf-8")
    part.replace(inbox / name)


def test_coordinator_and_two_workers_file_a_dropped_link_and_stop_cleanly(
    image: str, tmp_path: Path, redis: RedisServer, postgres_url: str, tracks: LoopbackServer
) -> None:
    port = free_port()
    library, state = tmp_path / "library", tmp_path / "coordinator-state"
    for folder in (library, state):
        folder.mkdir()
        os.chown(folder, UID, UID)  # the image's user owns its volumes, as in a named volume
    containers = Containers(image)
    try:
        coordinator = containers.start(
            "coordinator",
            compose()["services"]["coordinator"]["command"],
            ["--network", "slirp4netns:allow_host_loopback=true",
             "--publish", published_port(port),
             "--volume", f"{library}:/library", "--volume", f"{state}:/state",
             *env_options(environment(postgres_url, redis.url, HOST_FROM_SLIRP, port))],
        )  # fmt: skip
        containers.wait_log(coordinator, "ready:", 120)
        worker_service = compose()["services"]["worker"]
        on_host = env_options(environment(postgres_url, redis.url, "127.0.0.1", port))
        workers = [
            containers.start(
                f"worker{n}",
                worker_service["command"],
                ["--network", "host", "--volume", f"{library}:/library", *on_host],
            )
            for n in (1, 2)
        ]
        for worker in workers:
            containers.wait_log(worker, " ready: ledger ", 120)

        # The health checks: the image's own for the coordinator, compose's for workers.
        assert podman("healthcheck", "run", coordinator, check=False).returncode == 0
        check = worker_service["healthcheck"]["test"]
        assert check[0] == "CMD", check
        for worker in workers:
            assert f"ok: worker {worker}:" in containers.exec(worker, check[1:])

        # From the host, through the published port.
        status, body = get(f"http://127.0.0.1:{port}/api/v1/healthz")
        assert (status, '"status":"ok"' in body) == (200, True), body
        status, body = get(f"http://localhost:{port}/")
        assert status == 200 and "app.js" in body, body  # the page; its data needs a login
        status, body = get(f"http://localhost:{port}/api/v1/status")
        assert status == 401 and "spotsyncd web" in body, body

        drop(library / "inbox", "first.txt", tracks.url("/first.mp3"))
        wait_done(postgres_url, 1, 120, containers)
        filed = [p for p in library.rglob("*") if "inbox" not in p.relative_to(library).parts]
        assert [p.name for p in filed if p.is_file()] == ["first.mp3"], filed
        assert {p.stat().st_uid for p in filed} == {UID}, [(p, p.stat().st_uid) for p in filed]
        runs = [containers.logs(w).count(": done url:") for w in workers]
        assert sorted(runs) == [0, 1], runs  # filed once, by one worker

        # The guide's commands, in the coordinator: a login link that works from the host.
        for words in guide_commands("docker compose exec coordinator "):
            output = containers.exec(coordinator, words[4:])
            if words[4:] == ["spotsyncd", "web"]:
                login_from_host(output, port)
            elif words[4:] == ["spotsyncd", "status"]:
                assert "1 done" in output, output

        # The coordinator stops within 10 s and, started again, takes up what came meanwhile.
        assert containers.stop(coordinator) < STOP_WITHIN_S
        drop(library / "inbox", "second.txt", tracks.url("/second.mp3"))
        podman("start", coordinator)
        containers.wait_log(coordinator, "ready:", 120, after=1)
        wait_done(postgres_url, 2, 120, containers)
        assert sorted(p.name for p in library.rglob("*.mp3")) == ["first.mp3", "second.mp3"]
        for name in [*workers, coordinator]:
            assert containers.stop(name) < STOP_WITHIN_S, name
    finally:
        containers.remove()


def login_from_host(output: str, port: int) -> None:
    """``spotsyncd web`` printed a one-time link; opened from the host it gives a session (the
    page hands it to its script), and the API answers with that session."""
    match = re.search(r"http://\S+/login\?code=\S+", output)
    assert match, output
    link = match.group(0)
    assert link.startswith(f"http://127.0.0.1:{port}/"), link
    status, page = get(link)
    assert status == 200, status
    session = re.search(r'name="spotsyncd-session" content="([^"]+)"', page)
    assert session, page[:500]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/status",
        headers={"Authorization": f"Session {session.group(1)}"},
    )
    status, body = get(request)
    assert status == 200 and '"jobs"' in body, body[:500]
