"""A daemon left at its defaults fetches nothing from internal addresses, however a link spells
one, and a feed's entry cannot point it inward either. Loopback only: refused before connecting."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.core.models import JobState
from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.http_server import LoopbackServer

pytestmark = [pytest.mark.timeout(180), pytest.mark.e2e]


def _ended(env: Env, total: int) -> bool:
    counts = env.counts()
    return counts.get("failed", 0) + counts.get("done", 0) >= total and not (
        counts.get("pending") or counts.get("running")
    )


def test_internal_addresses_are_refused_by_default(tmp_path: Path, server: LoopbackServer) -> None:
    env = Env(tmp_path, network={"allow_private": False})
    port = server.port
    server.add("/a.mp3", b"ID3" + b"\0" * 2000, "audio/mpeg")
    spellings = [
        f"http://127.0.0.1:{port}/a.mp3",
        f"http://localhost:{port}/a.mp3",
        f"http://2130706433:{port}/b.mp3",
        f"http://0x7f000001:{port}/c.mp3",
        f"http://127.1:{port}/d.mp3",
        f"http://[::ffff:127.0.0.1]:{port}/e.mp3",
        f"http://127。0。0。1:{port}/f.mp3",
        f"http://[::1]:{port}/g.mp3",
        f"http://0:{port}/h.mp3",
    ]
    with Daemon(env) as daemon:
        daemon.wait_ready()
        env.drop("inward.txt", spellings)
        wait_for(lambda: _ended(env, len(spellings)), 120, daemon, what="every link to end")
        daemon.stop()
    assert server.requests == [], "nothing was fetched"
    counts = env.counts()
    assert counts.get("done", 0) == 0 and counts.get("failed", 0) == len(spellings)
    ledger = env.ledger()
    try:
        failed = ledger.tracks(state=JobState.FAILED)
    finally:
        ledger.close()
    for track in failed:
        assert track.error and "network.allow_private" in track.error, track.error
        assert track.error_class == "permanent"
    assert not any((env.state / "staging").iterdir())


def test_a_feed_entry_pointing_inward_is_refused(tmp_path: Path, server: LoopbackServer) -> None:
    """A stranger's feed names an internal address in its enclosure: the daemon does not go."""
    # The feed's own host is allowed (the user's choice); the address its entry names is not.
    allowed = Env(tmp_path, network={"allow_private": ["127.0.0.1/32"]})
    inner = f"http://127.0.0.2:{server.port}/secret.mp3"
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Show</title>'
        f'<item><title>Ep 1</title><guid>ep1</guid><enclosure url="{inner}" type="audio/mpeg"/>'
        "</item></channel></rss>"
    ).encode()
    url = server.add("/feed.xml", feed, "application/rss+xml")
    with Daemon(allowed) as daemon:
        daemon.wait_ready()
        allowed.drop("feed.txt", [url])
        wait_for(lambda: _ended(allowed, 1) and allowed.counts().get("failed", 0) >= 1, 120,
                 daemon, what="the episode to be refused")  # fmt: skip
        daemon.stop()
    assert [p for _, p, _ in server.requests] == ["/feed.xml"]


def test_the_api_routes_cannot_point_the_daemon_inward(
    tmp_path: Path, server: LoopbackServer
) -> None:
    """POST /links, /tracks/{key}/match and /follows queue what the daemon then fetches: each
    is refused at fetch time like a dropped link, and nothing reaches the inner server."""
    import httpx

    from tests.e2e.test_web import web_env, web_url

    env = web_env(Env(tmp_path, network={"allow_private": False}))
    inner = server.add("/inner.mp3", b"ID3" + b"\0" * 2000, "audio/mpeg")
    feed = server.add(
        "/feed.xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>S</title><item><title>E'
        b'</title><guid>e</guid><enclosure url="http://127.0.0.1/e.mp3" type="audio/mpeg"/>'
        b"</item></channel></rss>",
        "application/rss+xml",
    )
    with Daemon(env) as daemon:
        daemon.wait_ready()
        base = web_url(env, daemon)
        token = env.cli("web", "token", check=True).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        queued = httpx.post(f"{base}/api/v1/links", json={"links": [inner]}, headers=auth)
        assert queued.status_code == 202, queued.text
        key = queued.json()["results"][0]["key"]
        wait_for(lambda: env.counts().get("failed", 0) == 1, 60, daemon, what="the refusal")
        match = httpx.post(
            f"{base}/api/v1/tracks/{key}/match", json={"url": f"{inner}?again=1"}, headers=auth
        )
        assert match.status_code == 202, match.text
        followed = httpx.post(f"{base}/api/v1/follows", json={"url": feed}, headers=auth)
        assert followed.status_code in (200, 201, 202), followed.text
        wait_for(
            lambda: env.counts().get("failed", 0) == 1 and not env.counts().get("pending")
            and not env.counts().get("running") and "refused to fetch from 127.0.0.1" in
            (env.cli("why", key).stdout),
            90, daemon, what="the match to be refused too",
        )  # fmt: skip
        wait_for(lambda: "feed.xml" in daemon.output() and "refused" in daemon.output(), 90,
                 daemon, what="the follow's poll to be refused")  # fmt: skip
        daemon.stop()
    assert server.requests == [], "the inner server was never asked"
