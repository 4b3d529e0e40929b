"""The API can start downloads and write files: tokens, sessions, Host, CSP, body cap, and paths
that never leave the library. The attacks of the security review are in tests/security/."""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spotsyncd.api.app import create_app
from spotsyncd.api.context import WebContext
from spotsyncd.api.guard import HostPolicy
from spotsyncd.system import webauth
from tests.api.conftest import Web, make_config
from tests.api.test_app import file_done

API = "/api/v1"


def test_every_api_route_but_healthz_needs_the_token(web: Web) -> None:
    schema = web.client.get(f"{API}/openapi.json").json()
    anonymous = web.anonymous
    wrong = TestClient(web.client.app, base_url=str(web.client.base_url),
                       headers={"Authorization": "Bearer " + "x" * 43})  # fmt: skip
    checked = 0
    for path, methods in schema["paths"].items():
        concrete = path.replace("{key}", "youtube:dQw4w9WgXcQ").replace("{name}", "mix")
        for method in methods:
            for client in (anonymous, wrong):
                response = client.request(method.upper(), concrete, json={})
                expected = 200 if path.endswith("/healthz") else 401
                assert response.status_code == expected, (method, path, response.text)
                checked += 1
    assert checked >= 24
    for page in ("/", "/static/app.js"):  # the page holds no data: everything comes from the API
        served = anonymous.get(page)
        assert served.status_code == 200 and "set-cookie" not in served.headers
    assert anonymous.get(f"{API}/openapi.json").status_code == 401
    assert web.client.get(f"{API}/openapi.json").status_code == 200


def test_token_file_is_private(web: Web) -> None:
    mode = stat.S_IMODE((web.config.state_dir / webauth.TOKEN_FILE).stat().st_mode)
    assert mode == 0o600
    os.chmod(web.config.state_dir / webauth.TOKEN_FILE, 0o644)
    assert webauth.load_or_create_token(web.config.state_dir) == web.token
    assert stat.S_IMODE((web.config.state_dir / webauth.TOKEN_FILE).stat().st_mode) == 0o600


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8642", "127.0.0.1:9999", ""])
def test_a_foreign_host_header_is_refused(web: Web, host: str) -> None:
    response = web.client.get(f"{API}/status", headers={"Host": host})
    assert response.status_code in (400, 421), response.text
    assert "Host" in response.json()["error"]["message"]


def test_host_policy_names() -> None:
    loopback = HostPolicy("127.0.0.1", lambda: 8642, ("nas.local",))
    for ok in ("127.0.0.1:8642", "localhost:8642", "[::1]:8642", "nas.local", "nas.local:8642"):
        assert loopback.allows(ok), ok
    for bad in ("10.0.0.5:8642", "attacker.test:8642", "localhost", "127.0.0.1:80"):
        assert not loopback.allows(bad), bad
    wildcard = HostPolicy("0.0.0.0", lambda: 8642, ())
    assert wildcard.allows("192.168.1.20:8642") and not wildcard.allows("rebind.test:8642")


def test_allowed_hosts_from_the_config(tmp_path: Path, web: Web) -> None:
    config = make_config(tmp_path / "other", allowed_hosts=["music.lan"])
    ctx: WebContext = web.client.app.state.ctx  # type: ignore[attr-defined]
    app = create_app(WebContext(config, ctx.ledger, webauth.TokenStore(config.state_dir),
                                ctx.hub, 8642))  # fmt: skip
    token = webauth.load_or_create_token(config.state_dir)
    client = TestClient(app, base_url="http://music.lan:8642",
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert client.get(f"{API}/status").status_code == 200


def _login(web: Web) -> TestClient:
    """What the login page's script does: take the session from the page, send it as a header."""
    browser = web.anonymous
    code = webauth.new_login_code(web.config.state_dir)
    page = browser.get(f"/login?code={code}", follow_redirects=False)
    assert page.status_code == 200 and "set-cookie" not in page.headers
    found = re.search(r'name="spotsyncd-session" content="([^"]+)"', page.text)
    assert found and '<script src="/static/login.js">' in page.text
    assert browser.get(f"/login?code={code}").status_code == 401  # one time only
    browser.headers["Authorization"] = f"Session {found.group(1)}"
    return browser


def test_login_link_gives_a_session_that_can_read_and_act(web: Web) -> None:
    browser = _login(web)
    assert browser.get(f"{API}/status").status_code == 200
    links = {"links": ["https://youtu.be/dQw4w9WgXcQ"]}
    assert browser.post(f"{API}/links", json=links).status_code == 202


def test_logout_ends_the_session(web: Web) -> None:
    browser = _login(web)
    assert browser.post(f"{API}/logout").status_code == 204
    assert browser.get(f"{API}/status").status_code == 401
    assert web.client.get(f"{API}/status").status_code == 200  # the token is not a session


def test_expired_codes_and_rotation(web: Web) -> None:
    code = webauth.new_login_code(web.config.state_dir, ttl_s=-1)
    assert web.anonymous.get(f"/login?code={code}").status_code == 401
    browser = _login(web)
    unused = webauth.new_login_code(web.config.state_dir)
    new = webauth.rotate_token(web.config.state_dir)
    assert new != web.token
    time.sleep(0.01)
    assert web.client.get(f"{API}/status").status_code == 401  # the old token
    assert browser.get(f"{API}/status").status_code == 401  # sessions end with it
    assert web.anonymous.get(f"/login?code={unused}").status_code == 401  # and unused codes
    ok = web.anonymous.get(f"{API}/status", headers={"Authorization": f"Bearer {new}"})
    assert ok.status_code == 200


def test_security_headers_and_no_cors(web: Web) -> None:
    for path in (f"{API}/status", f"{API}/healthz", "/", f"{API}/nope"):
        response = web.client.get(path, headers={"Origin": "http://evil.example"})
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "access-control-allow-origin" not in response.headers
    preflight = web.client.options(f"{API}/links", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert "access-control-allow-origin" not in preflight.headers


def test_huge_bodies_are_refused_before_reading_them(web: Web) -> None:
    huge = {"links": ["https://example.org/" + "a" * 1000] * 2000}  # ~2 MB
    response = web.client.post(f"{API}/links", json=huge)
    assert response.status_code == 413 and "KiB" in response.json()["error"]["message"]

    def chunks() -> object:
        for _ in range(40):
            yield b"x" * 65536

    streamed = web.client.post(f"{API}/links", content=chunks(),  # type: ignore[arg-type]
                               headers={"Content-Type": "application/json"})  # fmt: skip
    assert streamed.status_code == 413
    assert web.ledger.counts()["pending"] == 0


def test_a_path_in_a_key_never_serves_a_file_outside_the_library(web: Web, tmp_path: Path) -> None:
    secret = web.config.library_dir.parent / "secret.mp3"
    secret.write_bytes(b"private")
    for key in ("../secret.mp3", "..%2Fsecret.mp3", "url:https://x/../../secret.mp3",
                "%2e%2e/%2e%2e/etc/passwd", "/etc/passwd"):  # fmt: skip
        response = web.client.get(f"{API}/tracks/{key}/audio")
        assert response.status_code == 404, (key, response.status_code)
        assert b"private" not in response.content
    # Even a ledger row whose recorded path leads outside is refused (never trust a row blindly).
    key = file_done(web.ledger, "https://example.org/inside.mp3", "inside.mp3",
                    web.config.library_dir, b"ok")  # fmt: skip
    from sqlalchemy import update

    from spotsyncd.ledger.schema import tracks

    with web.ledger.engine.begin() as conn:
        conn.execute(update(tracks).where(tracks.c.key == key).values(path="../secret.mp3"))
    response = web.client.get(f"{API}/tracks/{key}/audio")
    assert response.status_code == 404 and b"private" not in response.content
