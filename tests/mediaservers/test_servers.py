"""The three media server clients against loopback stand-ins that check credentials and answer
in the real shapes: scans asked the right way, never while one runs, and doctor's findings."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from spotsyncd.core.config_media import MediaServerConfig
from spotsyncd.mediaservers.base import SampleTrack, contains
from spotsyncd.mediaservers.http import ServerError
from spotsyncd.mediaservers.jellyfin import JellyfinClient
from spotsyncd.mediaservers.plex import PlexClient
from spotsyncd.mediaservers.subsonic import SubsonicClient
from tests.fakes.media_servers import FakeJellyfin, FakeNavidrome, FakePlex

LIBRARY = Path("/srv/music/spotsyncd")
SAMPLE = SampleTrack("Loopback Song", "Fake Artist", "Fake Artist/Singles/Loopback Song.mp3")


def _navidrome(url: str, **kw: str) -> SubsonicClient:
    cfg = MediaServerConfig(type="navidrome", url=url, name="navidrome", user="admin", **kw)
    return SubsonicClient(cfg, LIBRARY, timeout_s=2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- Navidrome / Subsonic


def test_subsonic_salted_token_auth_and_scan() -> None:
    with FakeNavidrome("admin", "s3cret-pw") as nd:
        client = _navidrome(nd.url, password="s3cret-pw")
        result = client.request_scan()
        client.request_scan()
        assert result.started and nd.scans == 2
        assert nd.paths() == ["/rest/getScanStatus", "/rest/startScan"] * 2
        salts = nd.salts()
        assert len(set(salts)) == 4  # a fresh salt for every request
        for _, _, query, _ in nd.requests:
            assert query["f"] == ["json"] and query["c"] == ["spotsyncd"] and "p" not in query
            assert query["t"][0] == hashlib.md5(("s3cret-pw" + query["s"][0]).encode()).hexdigest()
            assert "s3cret-pw" not in str(query)


def test_subsonic_precomputed_token_and_salt() -> None:
    with FakeNavidrome("admin", "pw") as nd:
        token = hashlib.md5(b"pwc19b2d").hexdigest()
        assert _navidrome(nd.url, token=token, salt="c19b2d").request_scan().started


def test_subsonic_not_asked_while_scanning() -> None:
    with FakeNavidrome("admin", "pw") as nd:
        nd.scanning = True
        result = _navidrome(nd.url, password="pw").request_scan()
        assert not result.started and nd.scans == 0 and "already scanning" in result.detail


def test_subsonic_wrong_password_is_an_error_naming_the_server_not_the_password() -> None:
    with FakeNavidrome("admin", "right") as nd:
        client = _navidrome(nd.url, password="wrong-password")
        with pytest.raises(ServerError) as caught:
            client.request_scan()
        assert "Wrong username or password" in str(caught.value)
        assert "wrong-password" not in str(caught.value) and "t=" not in str(caught.value)
        findings = client.diagnose([SAMPLE])
        assert [f.status for f in findings] == ["fail"] and "password" in findings[0].fix


def test_subsonic_diagnose_finds_filed_tracks_or_says_what_to_fix() -> None:
    with FakeNavidrome("admin", "pw", admin=False) as nd:
        client = _navidrome(nd.url, password="pw")
        findings = client.diagnose([SAMPLE])
        assert findings[0].status == "ok" and "navidrome 0.53.3" in findings[0].detail
        assert findings[-1].status == "warn" and "ND_MUSICFOLDER" in findings[-1].fix
        nd.songs.append(
            {"id": "1", "title": "Loopback Song", "artist": "Fake Artist", "album": "Singles",
             "path": "Fake Artist/Singles/Loopback Song.mp3", "isDir": False}
        )  # fmt: skip
        assert client.diagnose([SAMPLE])[-1].status == "ok"
        with pytest.raises(ServerError, match="not authorized"):
            client.api("startScan")  # a non-admin user may not start scans (code 50)


# ---------------------------------------------------------------- Jellyfin


def _jellyfin(url: str, key: str = "jf-key-123") -> JellyfinClient:
    cfg = MediaServerConfig(type="jellyfin", url=url, name="jellyfin", api_key=key)
    return JellyfinClient(cfg, LIBRARY, timeout_s=2)


def test_jellyfin_refresh_with_api_key_header() -> None:
    with FakeJellyfin("jf-key-123", ["/srv/music"]) as jf:
        assert _jellyfin(jf.url).request_scan().started
        assert [(m, p) for m, p, _, _ in jf.requests] == [
            ("GET", "/ScheduledTasks"),
            ("POST", "/Library/Refresh"),
        ]
        headers = jf.requests[-1][3]
        assert 'Token="jf-key-123"' in headers["Authorization"]
        assert all("jf-key-123" not in str(q) for _, _, q, _ in jf.requests)  # never in the URL
        jf.scanning = True
        assert not _jellyfin(jf.url).request_scan().started and jf.scans == 1


def test_jellyfin_diagnose() -> None:
    with FakeJellyfin("jf-key-123", ["/srv/music"]) as jf:
        findings = _jellyfin(jf.url).diagnose([])
        assert [f.status for f in findings] == ["ok", "ok"]
        assert "'Music' scans /srv/music" in findings[1].detail
        jf.locations = ["/media/films"]
        last = _jellyfin(jf.url).diagnose([])[-1]
        assert last.status == "fail" and "/srv/music/spotsyncd" in last.detail
        assert "library_path" in last.fix
        refused = _jellyfin(jf.url, key="nope").diagnose([])
        assert refused[0].status == "fail" and "API Keys" in refused[0].fix


# ---------------------------------------------------------------- Plex

SECTIONS = [
    ("1", "movie", "Movies", ["/srv/films"]),
    ("3", "artist", "Music", ["/srv/other", "/srv/music"]),
]


def _plex(url: str, **kw: str) -> PlexClient:
    cfg = MediaServerConfig(type="plex", url=url, name="plex", **{"token": "plex-tok", **kw})
    return PlexClient(cfg, LIBRARY, timeout_s=2)


def test_plex_partial_refresh_of_the_section_holding_the_library() -> None:
    with FakePlex("plex-tok", SECTIONS) as px:
        result = _plex(px.url).request_scan()
        assert result.started and "'Music'" in result.detail
        assert px.paths() == ["/library/sections", "/library/sections/3/refresh"]
        assert px.refresh_paths() == [str(LIBRARY)]
        assert all(h.get("X-Plex-Token") == "plex-tok" for _, _, _, h in px.requests)
        px.scanning = True  # refreshing="1"
        assert not _plex(px.url).request_scan().started and px.scans == 1


def test_plex_section_by_title_or_key_and_library_path_as_plex_sees_it() -> None:
    with FakePlex("plex-tok", [("7", "artist", "Hi-Fi", ["/data/music"])]) as px:
        assert (
            _plex(px.url, section="hi-fi", library_path="/data/music/sync").request_scan().started
        )
        assert px.refresh_paths() == ["/data/music/sync"]
        with pytest.raises(ServerError, match="no library section's folders contain"):
            _plex(px.url).request_scan()  # /srv/music/spotsyncd is nowhere in Plex
        findings = _plex(px.url).diagnose([])
        assert findings[-1].status == "fail" and "7 'Hi-Fi': /data/music" in findings[-1].detail
        assert _plex(px.url, token="bad").diagnose([])[0].detail.startswith("token refused")


# ---------------------------------------------------------------- all of them


@pytest.mark.parametrize("make", [lambda u: _navidrome(u, password="pw"), _jellyfin, _plex])
def test_unreachable_and_erroring_servers(make: object) -> None:
    port = _free_port()
    client = make(f"http://127.0.0.1:{port}")  # type: ignore[operator]
    with pytest.raises(ServerError) as caught:
        client.request_scan()
    assert caught.value.unreachable and "cannot reach" in str(caught.value)
    finding = client.diagnose([])[0]
    assert finding.status == "fail" and "start the server" in finding.fix
    with FakeJellyfin("k", []) as broken:
        broken.fail_with = 500
        client = make(broken.url)  # type: ignore[operator]
        with pytest.raises(ServerError) as caught:
            client.request_scan()
        assert caught.value.status == 500 and "HTTP 500" in str(caught.value)


def test_a_hanging_server_times_out() -> None:
    with FakeJellyfin("jf-key-123", ["/srv/music"]) as jf:
        jf.delay_s = 3
        client = JellyfinClient(
            MediaServerConfig(type="jellyfin", url=jf.url, name="jellyfin", api_key="jf-key-123"),
            LIBRARY,
            timeout_s=0.3,
        )
        with pytest.raises(ServerError, match="timed out"):
            client.request_scan()


def test_contains() -> None:
    assert contains("/srv/music", "/srv/music/spotsyncd") and contains("/srv/music/", "/srv/music")
    assert not contains("/srv/mus", "/srv/music") and not contains("/srv/music/a", "/srv/music")
    assert contains("M:\\Media\\Music", "M:\\Media\\Music\\spotsyncd")
