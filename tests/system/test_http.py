"""The project's HTTP client against real loopback servers: what it sends, how it tells no
network from a troubled host from a bad answer, the size cap, and the hook every hop passes."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from spotsyncd import __version__
from spotsyncd.system.http import (
    Blocked,
    ErrorStatus,
    HttpClient,
    TooLarge,
    Unreachable,
)
from tests.fakes.http_server import LoopbackServer

SECRET = "t0ken-in-the-query"


def _refused_url() -> str:
    with LoopbackServer() as gone:
        return gone.url(f"/rest/ping?t={SECRET}")


def _send(req: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    req.send_response(status)
    for name, value in headers.items():
        req.send_header(name.replace("_", "-"), value)
    req.end_headers()
    req.wfile.write(body)


def test_get_sends_the_user_agent_and_returns_the_answer(server: LoopbackServer) -> None:
    url = server.add("/api/get", b'{"ok": true}', "application/json")
    answer = HttpClient(timeout_s=5).get(url, params={"q": "a b"}, headers={"Accept": "x/y"})
    assert answer.status == 200 and answer.body == b'{"ok": true}'
    assert answer.headers["Content-Type"] == "application/json"
    method, path, headers = server.requests[-1]
    assert method == "GET" and path == "/api/get?q=a+b" and headers["Accept"] == "x/y"
    assert headers["User-Agent"].startswith(f"spotsyncd/{__version__} (+https://")


def test_an_error_status_names_where_but_not_the_query(server: LoopbackServer) -> None:
    server.fail("/rest/ping", [503])
    with pytest.raises(ErrorStatus) as caught:
        HttpClient(timeout_s=5).get(server.url(f"/rest/ping?t={SECRET}"))
    assert caught.value.status == 503
    assert str(caught.value) == f"GET http://127.0.0.1:{server.port}/rest/ping answered HTTP 503"
    answer = HttpClient(timeout_s=5).request("HEAD", server.url("/missing"), any_status=True)
    assert answer.status == 404


def test_a_refused_connection_is_the_network_not_the_host() -> None:
    with pytest.raises(Unreachable) as caught:
        HttpClient(timeout_s=5).get(_refused_url())
    assert caught.value.network_down and not caught.value.timed_out
    assert "cannot reach GET http://127.0.0.1:" in str(caught.value)
    assert "Connection refused" in str(caught.value) and SECRET not in str(caught.value)


def test_a_name_that_does_not_resolve_is_the_network() -> None:
    with pytest.raises(Unreachable) as caught:
        HttpClient(timeout_s=5).get(f"https://nowhere.invalid/x?t={SECRET}")
    assert caught.value.network_down and SECRET not in str(caught.value)


def test_a_host_that_does_not_answer_in_time_is_the_hosts_trouble(
    server: LoopbackServer,
) -> None:
    server.route("/slow", lambda req: time.sleep(1.5))
    started = time.monotonic()
    with pytest.raises(Unreachable) as caught:
        HttpClient(timeout_s=0.3).get(server.url("/slow"))
    assert time.monotonic() - started < 1.2
    assert caught.value.timed_out and not caught.value.network_down
    assert str(caught.value).endswith("/slow timed out after 0.3s")


def test_a_body_that_stalls_midway_times_out_too(server: LoopbackServer) -> None:
    server.add("/stall", b"x" * 100_000)
    server.fail("/stall", [("stall", 1.5)])
    with pytest.raises(Unreachable) as caught:
        HttpClient(timeout_s=0.3).get(server.url("/stall"))
    assert caught.value.timed_out and not caught.value.network_down


def test_answers_larger_than_the_cap_are_refused(server: LoopbackServer) -> None:
    declared = server.add("/big", b"x" * 2048)
    with pytest.raises(TooLarge, match="answered more than 1024 bytes"):
        HttpClient(timeout_s=5, max_bytes=1024).get(declared)

    def undeclared(req: BaseHTTPRequestHandler) -> None:
        req.close_connection = True
        _send(req, 200, b"y" * 4096, Connection="close")  # no Content-Length: read to the end

    server.route("/stream", undeclared)
    with pytest.raises(TooLarge) as caught:
        HttpClient(timeout_s=5).get(server.url("/stream"), max_bytes=1024)
    assert caught.value.limit == 1024
    assert HttpClient(timeout_s=5).get(server.url("/stream")).body == b"y" * 4096


def test_a_body_of_a_skipped_type_is_not_read(server: LoopbackServer) -> None:
    url = server.add("/episode", b"x" * 4096, "audio/mpeg")
    answer = HttpClient(timeout_s=5).get(url, max_bytes=1024, skip_body_types=("audio/",))
    assert (answer.status, answer.body, answer.headers["Content-Type"]) == (200, b"", "audio/mpeg")
    with pytest.raises(TooLarge):  # without: read, and over the cap
        HttpClient(timeout_s=5).get(url, max_bytes=1024)


def test_a_client_with_a_policy_refuses_internal_addresses_at_every_hop(
    server: LoopbackServer,
) -> None:
    """Covers come from links and feeds: their client checks every connection, redirects
    included, and a refused host is never contacted."""
    from spotsyncd.system.netguard import AddressPolicy

    other = LoopbackServer()
    with other:
        other.add("/inner", b"secret")
        target = other.url("/inner").replace("127.0.0.1", "127.0.0.2")
        server.route("/here", lambda req: _send(req, 302, b"", Location=target, Content_Length="0"))
        with pytest.raises(Blocked, match="refused to fetch from 127.0.0.1"):
            HttpClient(timeout_s=5, policy=AddressPolicy()).get(server.url("/here"))
        assert server.hits["/here"] == 0, "refused before connecting"
        only_here = AddressPolicy.from_setting(["127.0.0.1/32"])
        with pytest.raises(Blocked, match="refused to fetch from 127.0.0.2"):
            HttpClient(timeout_s=5, policy=only_here).get(server.url("/here"))
        assert server.hits["/here"] == 1 and other.requests == []


def test_no_cookies_are_kept(server: LoopbackServer) -> None:
    server.add("/a", b"a", Set_Cookie="session=1; Path=/")
    client = HttpClient(timeout_s=5)
    client.get(server.url("/a"))
    client.get(server.url("/a"))
    assert "Cookie" not in server.requests[-1][2]


def test_proxies_come_from_the_environment_as_urllib_read_them(
    server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add("http://music.example/cover.jpg", b"via the proxy")
    monkeypatch.setenv("http_proxy", server.url(""))
    monkeypatch.setenv("no_proxy", "direct.invalid")
    answer = HttpClient(timeout_s=5).get("http://music.example/cover.jpg")
    assert answer.body == b"via the proxy"
    with pytest.raises(Unreachable):  # not through the proxy: the name does not resolve
        HttpClient(timeout_s=5).get("http://direct.invalid/")


def test_one_client_serves_several_threads(server: LoopbackServer) -> None:
    url = server.add("/t", b"ok")
    client = HttpClient(timeout_s=5)
    bodies: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: bodies.append(client.get(url).body)) for _ in "12345678"
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert bodies == [b"ok"] * 8


def test_every_request_opens_a_connection_of_its_own() -> None:
    """A keep-alive server does not get its connection reused: nothing retries a request sent
    on a connection the server closes at that moment."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted: list[socket.socket] = []

    def keep_alive_server() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            accepted.append(conn)
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    thread = threading.Thread(target=keep_alive_server)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    client = HttpClient(timeout_s=5)
    try:
        assert [client.get(url).body, client.get(url).body] == [b"ok", b"ok"]
    finally:
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()
    assert len(accepted) == 2


def test_a_dropped_connection_is_the_hosts_trouble() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.close()

    thread = threading.Thread(target=hang_up)
    thread.start()
    try:
        with pytest.raises(Unreachable) as caught:
            HttpClient(timeout_s=5).get(f"http://127.0.0.1:{listener.getsockname()[1]}/x")
    finally:
        thread.join(5)
        listener.close()
    assert not caught.value.network_down and not caught.value.timed_out
