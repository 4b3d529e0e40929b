"""Reachability checks against real loopback sockets: an answering host, a refused port, a
name that does not resolve."""

from __future__ import annotations

import time

from spotsyncd.system.netcheck import check_https, probe, reach
from tests.fakes.http_server import LoopbackServer


def test_reach_tells_the_three_cases_apart(server: LoopbackServer) -> None:
    server.add("/", b"hello", "text/plain")
    with LoopbackServer() as gone:
        closed = gone.url("/")
    ok, refused, unresolved = probe([server.url("/"), closed, "https://nowhere.invalid/"])
    assert ok.ok and ok.stage == "ok" and not ok.network_down
    assert not refused.ok and refused.stage == "connect" and refused.network_down
    assert "connection refused" in refused.detail
    assert not unresolved.ok and unresolved.stage == "dns" and unresolved.network_down
    assert unresolved.host == "nowhere.invalid:443"


def test_check_https_sends_one_head_request(server: LoopbackServer) -> None:
    server.add("/health", b"ok", "text/plain")
    [result] = check_https([server.url("/health")])
    assert result.ok and "answered 200" in result.detail
    assert server.requests[-1][0] == "HEAD"
    assert reach(server.url("/missing"), https=True).ok  # any HTTP answer proves the way


def test_a_failed_tls_handshake_and_a_silent_host_say_which(server: LoopbackServer) -> None:
    plain = server.url("/").replace("http://", "https://")  # TLS to a plain HTTP port
    tls = reach(plain, https=True, timeout_s=5)
    assert not tls.ok and tls.stage == "https" and not tls.network_down
    assert tls.detail.startswith("TLS failed: ")
    server.route("/silent", lambda req: time.sleep(1.5))
    silent = reach(server.url("/silent"), https=True, timeout_s=0.3)
    assert not silent.ok and silent.stage == "https" and not silent.network_down
    assert silent.detail == "no HTTP answer: timed out after 0.3s"
    assert server.requests[-1][2]["User-Agent"].startswith("spotsyncd/")
