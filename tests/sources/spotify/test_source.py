"""SpotifySource against a loopback fake of the Web API, accounts service and embed pages."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from spotsyncd.core.config import SpotifyConfig
from spotsyncd.core.errors import AuthError, PermanentError, RateLimitedError, TransientError
from spotsyncd.core.models import LinkKind, Source
from spotsyncd.sources.spotify.embed import EMBED_NOTE, EmbedPageError, parse_embed_page
from spotsyncd.sources.spotify.source import LOGIN_EXPIRED, SpotifySource
from tests.fakes.http_server import LoopbackServer
from tests.fakes.spotify_api import FakeSpotify

DATA = Path(__file__).parents[2] / "data"


@pytest.fixture
def fake() -> Iterator[FakeSpotify]:
    with FakeSpotify() as spotify:
        yield spotify


def config(
    fake: FakeSpotify, *, client_id: bool = True, secret: bool = True, port: int = 8765
) -> SpotifyConfig:
    return SpotifyConfig(
        client_id=fake.client_id if client_id else None,
        client_secret=fake.client_secret if secret else None,
        api_url=fake.api_url,
        token_url=fake.token_url,
        auth_url=fake.auth_url,
        embed_url=fake.embed_url,
        redirect_port=port,
    )


@pytest.fixture
def app(fake: FakeSpotify, tmp_path: Path) -> Iterator[SpotifySource]:
    source = SpotifySource(config(fake), tmp_path / "app-state" / "spotify-token.json")
    yield source
    source.close()


@pytest.fixture
def user(fake: FakeSpotify, tmp_path: Path) -> Iterator[SpotifySource]:
    """Logged in (a token cache as 'auth spotify' leaves it), no client secret."""
    cache = tmp_path / "state" / "spotify-token.json"
    cache.parent.mkdir()
    cache.write_text(json.dumps(fake.issue_user_token()))
    source = SpotifySource(config(fake, secret=False), cache)
    yield source
    source.close()


def api_hits(fake: FakeSpotify) -> int:
    return sum(n for path, n in fake.hits.items() if path.startswith("/v1/"))


# ---------------------------------------------------------------------- tracks and albums
def test_track_has_full_metadata_and_the_largest_cover(
    fake: FakeSpotify, app: SpotifySource
) -> None:
    ids = fake.add_album("alb1", "Night Songs", ["Ada", "Bo"], ["One", "Two"])
    meta = app.track(ids[1])
    assert app.mode == "app"
    assert meta.title == "Two" and meta.artists == ("Ada", "Bo")
    assert (meta.album, meta.album_artist, meta.date) == ("Night Songs", "Ada, Bo", "2021-03-04")
    assert (meta.track_number, meta.track_total, meta.disc_number) == (2, 2, 1)
    assert meta.isrc == "QZFAKE000001" and meta.duration_s == 181.0 and meta.explicit is True
    assert meta.source_url == f"https://open.spotify.com/track/{ids[1]}"
    assert meta.cover_url == "https://i.scdn.co/image/alb1-640"  # listed second, but largest


def test_album_listing_pages_and_counts_discs(fake: FakeSpotify, app: SpotifySource) -> None:
    ids = fake.add_album("alb2", "Long", ["Ada"], [f"T{i}" for i in range(120)], discs=2)
    listing = app.list("spotify:album:alb2")
    assert [item.link.key for item in listing.items] == [f"spotify:track:{i}" for i in ids]
    first, last = listing.items[0], listing.items[-1]
    assert first.link.url == f"https://open.spotify.com/track/{ids[0]}"
    assert (first.link.source, first.link.kind) == (Source.SPOTIFY, LinkKind.TRACK)
    assert (last.meta.disc_number, last.meta.track_number, last.meta.track_total) == (2, 60, 60)
    assert last.meta.disc_total == 2 and last.meta.album == "Long"
    assert last.meta.cover_url == "https://i.scdn.co/image/alb2-640"
    assert listing.title == "Long" and len(listing.fingerprint) == 64
    assert fake.hits["/v1/albums/alb2/tracks"] == 2  # pages 2 and 3 via absolute next URLs
    assert app.list("spotify:album:alb2").fingerprint == listing.fingerprint


# ---------------------------------------------------------------------- playlists
@pytest.mark.parametrize("inline", [True, False])
def test_owned_playlist_2026_shape(fake: FakeSpotify, user: SpotifySource, inline: bool) -> None:
    fake.inline_first_page = inline
    ids = fake.add_album("alb3", "A", ["Ada"], [f"T{i}" for i in range(110)])
    fake.add_playlist("pl1", [ids[0], "local:My Demo", None, "episode:ep1", *ids[1:]])
    listing = user.list("spotify:playlist:pl1")
    assert [i.link.key for i in listing.items] == [f"spotify:track:{i}" for i in ids]
    assert listing.fingerprint == fake.playlists["pl1"]["snapshot_id"]
    assert listing.notes == () and listing.title == "Playlist pl1"
    assert fake.hits["/v1/playlists/pl1/items"] == (2 if inline else 3)  # 114 entries, 50 a page


@pytest.mark.parametrize("inline", [True, False])
def test_old_shape_and_tracks_endpoint_fallback(
    fake: FakeSpotify, app: SpotifySource, inline: bool
) -> None:
    fake.shape, fake.inline_first_page = "2024", inline
    ids = fake.add_album("alb4", "A", ["Ada"], [f"T{i}" for i in range(130)])
    fake.add_playlist("pl2", ids, owner="someone-else")
    listing = app.list("spotify:playlist:pl2")
    assert [i.link.key for i in listing.items] == [f"spotify:track:{i}" for i in ids]
    assert listing.items[5].meta.album == "A" and listing.items[5].meta.isrc == "QZFAKE000005"
    assert fake.hits["/v1/playlists/pl2/items"] == (0 if inline else 1)  # 404, then /tracks
    assert fake.hits["/v1/playlists/pl2/tracks"] == (1 if inline else 3)


def test_playlist_of_someone_else_falls_back_to_embed(
    fake: FakeSpotify, app: SpotifySource
) -> None:
    ids = fake.add_album("alb5", "A", ["Ada", "Bo"], ["One", "Two"])
    fake.add_playlist("pl3", ids, owner="someone-else")
    listing = app.list("spotify:playlist:pl3")
    assert fake.hits["/v1/playlists/pl3/items"] == 1  # answered 403
    assert fake.hits["/embed/playlist/pl3"] == 1
    assert [i.link.key for i in listing.items] == [f"spotify:track:{i}" for i in ids]
    assert listing.items[0].meta.artists == ("Ada", "Bo") and listing.items[0].meta.album is None
    assert listing.notes == (EMBED_NOTE,)
    assert (
        listing.fingerprint
        == fake.playlists["pl3"]["snapshot_id"]
        == app.snapshot("spotify:playlist:pl3")
    )


def test_editorial_playlist_404_falls_back_to_embed(fake: FakeSpotify, app: SpotifySource) -> None:
    ids = fake.add_album("alb6", "A", ["Ada"], ["One"])
    fake.add_playlist("37i9dQZF1DXcBWIGoYBM5M", ids, owner="spotify", api_visible=False)
    listing = app.list("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M")
    assert [i.meta.title for i in listing.items] == ["One"] and listing.notes == (EMBED_NOTE,)
    assert app.snapshot("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M") is None


def test_snapshot_is_one_request_and_follows_changes(
    fake: FakeSpotify, user: SpotifySource
) -> None:
    ids = fake.add_album("alb7", "A", ["Ada"], ["One", "Two", "Three"])
    fake.add_playlist("pl4", ids[:2])
    before = user.snapshot("spotify:playlist:pl4")
    assert before == user.list("spotify:playlist:pl4").fingerprint
    hits = api_hits(fake)
    fake.add_tracks_to_playlist("pl4", [ids[2]])
    added = user.snapshot("spotify:playlist:pl4")
    assert api_hits(fake) == hits + 1 and added not in (None, before)
    fake.remove_track_from_playlist("pl4", ids[0])
    assert user.snapshot("spotify:playlist:pl4") not in (None, before, added)
    assert [i.meta.title for i in user.list("spotify:playlist:pl4").items] == ["Two", "Three"]
    assert user.snapshot("spotify:album:alb7") is None
    assert user.snapshot("spotify:playlist:missing") is None


def test_liked_songs_need_a_login(
    fake: FakeSpotify, app: SpotifySource, user: SpotifySource
) -> None:
    ids = fake.add_album("alb8", "A", ["Ada"], [f"T{i}" for i in range(60)])
    fake.liked.extend(ids)
    listing = user.list("spotify:liked")
    assert [i.link.key for i in listing.items] == [f"spotify:track:{i}" for i in ids]
    assert listing.title == "Liked Songs" and fake.hits["/v1/me/tracks"] == 2
    with pytest.raises(AuthError, match="spotsyncd auth spotify"):
        app.list("spotify:liked")


# ---------------------------------------------------------------------- no credentials: embed
def test_no_credentials_uses_the_embed_page(fake: FakeSpotify, tmp_path: Path) -> None:
    ids = fake.add_album("alb9", "Embed Album", ["Ada", "Bo"], ["One", "Two"])
    fake.add_playlist("pl5", ids)
    with requests.Session() as session:
        source = SpotifySource(
            config(fake, client_id=False, secret=False), tmp_path / "t.json", session=session
        )
        assert source.mode == "embed"
        meta = source.track(ids[0])
        assert (meta.title, meta.artists, meta.duration_s) == ("One", ("Ada", "Bo"), 180.0)
        assert meta.cover_url == "https://i.scdn.co/image/alb9-640" and meta.date == "2021-03-04"
        album = source.list("spotify:album:alb9")
        assert [i.meta.track_number for i in album.items] == [1, 2]
        assert album.items[1].meta.album == "Embed Album" and album.notes == (EMBED_NOTE,)
        playlist = source.list("spotify:playlist:pl5")
        assert [i.link.key for i in playlist.items] == [f"spotify:track:{i}" for i in ids]
        assert source.snapshot("spotify:playlist:pl5") is None
        with pytest.raises(PermanentError, match="no such item"):
            source.list("spotify:playlist:nope")
    assert api_hits(fake) == 0 and fake.grants == []


def test_embed_fixture_pages_parse() -> None:
    playlist = parse_embed_page((DATA / "spotify-embed-playlist.html").read_text())
    assert playlist.kind == "playlist" and playlist.name == "Late Drive"
    assert [t.track_id for t in playlist.tracks] == [
        "4iV5W9uYEdYUVa79Axb7Rh",
        "1301WleyT98MSxVHPZCA6M",
    ]
    first, second = (t.meta for t in playlist.tracks)
    assert first.title == "Nights & Weekends" and first.artists == ("Aster Vale", "The Quiet Hours")
    assert second.title == "Señorita <Live>" and second.explicit is True
    assert second.duration_s == 187.0 and second.album is None
    track = parse_embed_page((DATA / "spotify-embed-track.html").read_text())
    assert track.meta.artists == ("Mina Koh", "DJ Öz") and track.meta.date == "2019-06-21"
    assert track.meta.cover_url == "https://i.scdn.co/image/ab67616d0000b273fixture"
    with pytest.raises(EmbedPageError):
        parse_embed_page("<html><body>nothing here</body></html>")


# ---------------------------------------------------------------------- recorded responses
def test_recorded_2024_responses(
    shared_reference: Path, server: LoopbackServer, tmp_path: Path
) -> None:
    def recorded(name: str) -> bytes:
        return (shared_reference / f"spotify-{name}-2024.json").read_bytes()

    token = {"access_token": "rec", "token_type": "Bearer", "expires_in": 3600}
    server.add("/api/token", json.dumps(token).encode(), "application/json")
    server.add("/v1/tracks/4fCZ", recorded("track"), "application/json")
    server.add("/v1/albums/1r07Izb8tOjwqYP6iTICH7", recorded("album"), "application/json")
    server.add("/v1/playlists/5LkNhFidYyyjRWwnkcMbQs", recorded("playlist"), "application/json")
    cfg = SpotifyConfig(
        client_id="id",
        client_secret="secret",
        api_url=server.url("/v1/"),
        token_url=server.url("/api/token"),
    )
    source = SpotifySource(cfg, tmp_path / "t.json")
    track = source.track("4fCZ")
    assert track.isrc == "GBSMU1664476" and track.date == "2014-04-27" and track.title
    assert track.cover_url and track.cover_url.startswith(
        "https://i.scdn.co/image/ab67616d0000b273"
    )
    album = source.list("spotify:album:1r07Izb8tOjwqYP6iTICH7")
    assert album.title == "NCS: The Best of 2016" and len(album.items) == 16
    assert album.items[0].meta.title == "Safe & Sound" and album.items[0].meta.date == "2016-12-16"
    assert album.items[0].meta.album_artist == "Various Artists"
    playlist = source.list("spotify:playlist:5LkNhFidYyyjRWwnkcMbQs")
    assert playlist.fingerprint == "AAAAGltfrxsoRxBM/BA89GkrJPbyZs3o"
    assert [i.meta.title for i in playlist.items][:2] == ["Cradles", "Fearless Pt. II"]
    assert len(playlist.items) == 9  # the tenth entry is an unavailable, nameless track
    source.close()


# ---------------------------------------------------------------------- tokens and login
def test_expired_token_is_refreshed_once(
    fake: FakeSpotify, app: SpotifySource, user: SpotifySource, tmp_path: Path
) -> None:
    ids = fake.add_album("alb10", "A", ["Ada"], ["One"])
    app.track(ids[0])
    user.track(ids[0])
    fake.expire_tokens()
    assert app.track(ids[0]).title == "One" and user.track(ids[0]).title == "One"
    assert fake.grants == ["client_credentials", "client_credentials", "refresh_token"]
    cache = tmp_path / "state" / "spotify-token.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert json.loads(cache.read_text())["access_token"] in fake.access_tokens


def test_revoked_login_fails_fast(fake: FakeSpotify, user: SpotifySource) -> None:
    ids = fake.add_album("alb11", "A", ["Ada"], ["One"])
    fake.refresh_mode = "invalid_grant"
    fake.expire_tokens()
    with pytest.raises(AuthError) as first:
        user.track(ids[0])
    assert str(first.value) == LOGIN_EXPIRED
    hits = sum(fake.hits.values())
    for call in (lambda: user.track(ids[0]), lambda: user.list("spotify:liked")):
        with pytest.raises(AuthError, match="re-run 'spotsyncd auth spotify'"):
            call()
    assert sum(fake.hits.values()) == hits  # no further requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_pkce_login_end_to_end(
    fake: FakeSpotify, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cache = tmp_path / "state" / "spotify-token.json"
    source = SpotifySource(config(fake, secret=False, port=free_port()), cache)
    assert not cache.exists()
    browser: list[requests.Response] = []

    def open_in_browser(url: str) -> None:  # the user clicks the link and agrees
        assert url.startswith(fake.auth_url) and "code_challenge=" in url
        worker = threading.Thread(target=lambda: browser.append(requests.get(url, timeout=5)))
        worker.start()

    assert source.login(False, timeout_s=10, show_url=open_in_browser) == "Fake User"
    assert browser[0].status_code == 200 and "close this tab" in browser[0].text
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600 and source.mode == "user"
    token = json.loads(cache.read_text())
    ids = fake.add_album("alb12", "A", ["Ada"], ["One"])
    fake.liked.append(ids[0])
    assert [i.meta.title for i in source.list("spotify:liked").items] == ["One"]
    for secret in (token["access_token"], token["refresh_token"], *fake.access_tokens):
        assert secret not in caplog.text
    source.close()


def test_login_without_a_browser_answer_times_out(fake: FakeSpotify, tmp_path: Path) -> None:
    source = SpotifySource(config(fake, port=free_port()), tmp_path / "t.json")
    started = time.monotonic()
    with pytest.raises(AuthError, match="no answer from the browser"):
        source.login(False, timeout_s=0.3, show_url=lambda url: None)
    assert time.monotonic() - started < 3 and not (tmp_path / "t.json").exists()


def test_wrong_secret_is_never_echoed(
    fake: FakeSpotify, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ids = fake.add_album("alb13", "A", ["Ada"], ["One"])
    wrong = "wrong-s3cr3t-value"
    cfg = SpotifyConfig(
        client_id=fake.client_id,
        client_secret=wrong,
        api_url=fake.api_url,
        token_url=fake.token_url,
        embed_url=fake.embed_url,
    )
    with pytest.raises(AuthError) as caught:
        SpotifySource(cfg, tmp_path / "t.json").track(ids[0])
    assert "client_secret" in str(caught.value) and wrong not in str(caught.value)
    assert wrong not in caplog.text and fake.client_secret not in caplog.text
    good = SpotifySource(config(fake), tmp_path / "t.json")
    good.track(ids[0])
    assert not any(token in caplog.text for token in fake.access_tokens)
    assert fake.client_secret not in caplog.text


# ---------------------------------------------------------------------- errors and rate limits
def test_429_with_a_day_long_retry_after_never_waits(fake: FakeSpotify, tmp_path: Path) -> None:
    now = [1_000_000.0]
    source = SpotifySource(config(fake), tmp_path / "t.json", clock=lambda: now[0])
    ids = fake.add_album("alb14", "A", ["Ada"], ["One"])
    fake.fault(f"/v1/tracks/{ids[0]}", 429, retry_after="86400")
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        source.track(ids[0])
    assert time.monotonic() - started < 1
    assert (caught.value.retry_after, caught.value.service) == (86400, "spotify")
    assert source.blocked_until() == now[0] + 86400
    hits = sum(fake.hits.values())
    for call in (
        lambda: source.track(ids[0]),
        lambda: source.list("spotify:album:alb14"),
        lambda: source.snapshot("spotify:playlist:x"),
    ):
        with pytest.raises(RateLimitedError):
            call()
    assert sum(fake.hits.values()) == hits
    now[0] += 86401
    assert source.blocked_until() is None and source.track(ids[0]).title == "One"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientError),
        (503, TransientError),
        (404, PermanentError),
        (400, PermanentError),
        (200, TransientError),
    ],  # 200: an HTML page where JSON was expected
)
def test_status_codes_map_to_error_classes(
    fake: FakeSpotify, app: SpotifySource, status: int, error: type[Exception]
) -> None:
    ids = fake.add_album("alb15", "A", ["Ada"], ["One"])
    fake.fault(f"/v1/tracks/{ids[0]}", status)
    with pytest.raises(error):
        app.track(ids[0])
    assert fake.hits[f"/v1/tracks/{ids[0]}"] == 1  # spotipy did not retry on its own
    assert app.track(ids[0]).title == "One"


def test_unreachable_service_is_transient(tmp_path: Path) -> None:
    port = free_port()
    cfg = SpotifyConfig(
        client_id="id",
        client_secret="secret",
        api_url=f"http://127.0.0.1:{port}/v1/",
        token_url=f"http://127.0.0.1:{port}/api/token",
    )
    with pytest.raises(TransientError, match="cannot reach Spotify"):
        SpotifySource(cfg, tmp_path / "t.json").track("abc")


def test_token_file_is_created_private(tmp_path: Path, fake: FakeSpotify) -> None:
    from spotsyncd.sources.spotify.auth import FileTokenCache

    old = os.umask(0)
    try:
        cache = FileTokenCache(tmp_path / "deep" / "spotify-token.json")
        cache.save_token_to_cache(fake.issue_user_token())
    finally:
        os.umask(old)
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert cache.has_login() and list(cache.path.parent.iterdir()) == [cache.path]
