"""Notifications through real Apprise to a loopback HTTP server (json:// and form://): the
bodies that arrive, one message for a storm, the rate limit, and URLs kept out of logs."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qs

import pytest

from spotsyncd.system.notify import Delivery, Notifications, redact, send_apprise
from tests.fakes.http_server import LoopbackServer
from tests.support.waiting import wait_for

TOKEN = "s3cr3tT0kenAbcdef"


def _json_url(server: LoopbackServer, path: str = "/hook") -> str:
    return f"json://bot:{TOKEN}@127.0.0.1:{server.port}{path}/{TOKEN}"


def _messages(server: LoopbackServer, path: str) -> list[dict[str, object]]:
    return [json.loads(body) for body in server.bodies[path]]


def test_json_and_form_bodies_arrive(server: LoopbackServer) -> None:
    server.add(f"/hook/{TOKEN}", b"ok")
    server.add("/form", b"ok")
    form = f"form://127.0.0.1:{server.port}/form"
    deliveries = send_apprise([_json_url(server), form], "spotsyncd: hello", "line 1\nline 2")
    assert deliveries == [Delivery("json://***", True), Delivery("form://***", True)]
    [message] = _messages(server, f"/hook/{TOKEN}")
    assert message["title"] == "spotsyncd: hello" and message["message"] == "line 1\nline 2"
    assert message["type"] == "info"
    [raw] = server.bodies["/form"]
    fields = parse_qs(raw.decode())
    assert fields["title"] == ["spotsyncd: hello"] and fields["message"] == ["line 1\nline 2"]


def test_a_failed_send_is_reported_without_the_url(caplog: pytest.LogCaptureFixture) -> None:
    with LoopbackServer() as gone:
        url = f"json://bot:{TOKEN}@127.0.0.1:{gone.port}/x"
    # the port is closed now: the connection is refused
    deliveries = send_apprise([url, "notascheme"], "t", "b")
    assert [d.ok for d in deliveries] == [False, False]
    assert all(TOKEN not in d.detail and d.url.endswith("***") for d in deliveries)
    assert "Connection" in deliveries[0].detail


@pytest.mark.e2e
def test_a_storm_of_500_failures_is_one_message_and_the_rate_limit_holds(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(f"/hook/{TOKEN}", b"ok")
    notes = Notifications([_json_url(server)], batch_s=1.5)
    notes.start()
    try:
        with caplog.at_level(logging.DEBUG):
            for n in range(500):
                notes.post("failed", f"youtube:{n:04d}: gone", title="{n} tracks failed for good")
            notes.post("new_tracks", "hits: 3 new", title="new tracks from {n} polls")
            wait_for(lambda: len(server.bodies[f"/hook/{TOKEN}"]) >= 2, 30, interval=0.05,
                     what="one message per kind")  # fmt: skip
            time.sleep(0.5)
            messages = _messages(server, f"/hook/{TOKEN}")
            assert len(messages) == 2  # one per kind, not 501
            storm = next(m for m in messages if "failed" in str(m["title"]))
            assert storm["title"] == "spotsyncd: 500 tracks failed for good"
            body = str(storm["message"])
            assert "youtube:0000: gone" in body and "… and 485 more" in body
            # A second burst right after: held back by the rate limit, then one message.
            sent_at = time.monotonic()
            notes.post("failed", "youtube:late: gone", title="{n} tracks failed for good")
            notes.post("failed", "youtube:later: gone", title="{n} tracks failed for good")
            wait_for(lambda: len(server.bodies[f"/hook/{TOKEN}"]) >= 3, 30, interval=0.05,
                     what="the held-back message")  # fmt: skip
            waited = time.monotonic() - sent_at
        messages = _messages(server, f"/hook/{TOKEN}")
        assert len(messages) == 3 and messages[2]["title"] == "spotsyncd: 2 tracks failed for good"
        assert waited >= 1.0  # not before batch_s after the last message of that kind
    finally:
        notes.stop()
    # Our lines and Apprise's never show the URL (urllib3's debug lines are redacted by the
    # daemon's log filter: see tests/e2e/test_offline.py, which reads the daemon's log).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("spotsyncd", "apprise"))]
    assert ours and not any(TOKEN in line for line in ours)
    assert any("json://***" in line for line in ours)


def test_post_never_blocks_even_when_sending_hangs() -> None:
    calls: list[str] = []

    def slow_sender(urls: object, title: str, body: str) -> list[Delivery]:
        calls.append(title)
        time.sleep(2)
        return [Delivery("json://***", True)]

    notes = Notifications(["json://x"], batch_s=0.1, sender=slow_sender)
    notes.start()
    try:
        started = time.monotonic()
        for n in range(100):
            notes.post("failed", f"t{n}", title="{n} failed")
        assert time.monotonic() - started < 0.5
    finally:
        notes.stop(flush_s=0.1)


def test_without_urls_nothing_is_queued() -> None:
    notes = Notifications([])
    notes.post("failed", "x", title="t")
    assert not notes.enabled and notes.sent == 0


def test_redact_hides_every_secret_part() -> None:
    url = f"tgram://123456789:{TOKEN}/-100987654321"
    text = f"sending to {url} failed; token {TOKEN}"
    cleaned = redact(text, [url])
    assert TOKEN not in cleaned and "123456789" not in cleaned
