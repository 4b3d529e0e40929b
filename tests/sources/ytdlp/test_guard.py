"""yt-dlp's own connections obey the address check: the download, and every redirect."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from spotsyncd.core.errors import PermanentError
from spotsyncd.intake.links import parse_link
from spotsyncd.sources.ytdlp.client import YtDlpDownloader
from spotsyncd.system.netguard import AddressPolicy
from spotsyncd.system.tools import find_ffmpeg
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(30)


def _downloader(policy: AddressPolicy) -> YtDlpDownloader:
    return YtDlpDownloader(
        link_of=parse_link,
        ffmpeg=find_ffmpeg().path,
        js_runtime=None,
        timeout_s=5,
        address_policy=policy,
    )


@pytest.fixture
def song(tmp_path: Path) -> bytes:
    return make_audio(tmp_path / "tone.mp3", seconds=1).read_bytes()


def test_a_loopback_download_is_refused_by_default_and_nothing_is_fetched(
    server: LoopbackServer, song: bytes, tmp_path: Path
) -> None:
    url = server.add("/tone.mp3", song, "audio/mpeg")
    downloader = _downloader(AddressPolicy())
    with pytest.raises(PermanentError, match=r"refused to fetch from 127\.0\.0\.1.*allow_private"):
        downloader.download(url, tmp_path / "staging")
    assert server.requests == []
    assert not any((tmp_path / "staging").rglob("*.mp3"))


def test_an_allowed_network_downloads(server: LoopbackServer, song: bytes, tmp_path: Path) -> None:
    url = server.add("/tone.mp3", song, "audio/mpeg")
    downloader = _downloader(AddressPolicy.from_setting(["127.0.0.1/32"]))
    downloaded = downloader.download(url, tmp_path / "staging")
    assert downloaded.path.stat().st_size > 0


def test_a_redirect_inward_is_checked_again(
    server: LoopbackServer, song: bytes, tmp_path: Path
) -> None:
    inner = LoopbackServer()
    with inner:
        inner.add("/secret.mp3", song, "audio/mpeg")
        target = inner.url("/secret.mp3").replace("127.0.0.1", "127.0.0.2")

        def redirect(req: BaseHTTPRequestHandler) -> None:
            req.send_response(302)
            req.send_header("Location", target)
            req.send_header("Content-Length", "0")
            req.end_headers()

        url = server.route("/go.mp3", redirect)
        downloader = _downloader(AddressPolicy.from_setting(["127.0.0.1/32"]))  # not 127.0.0.2
        with pytest.raises(PermanentError, match=r"refused to fetch from 127\.0\.0\.2"):
            downloader.download(url, tmp_path / "staging")
        assert inner.requests == []


def test_other_users_of_the_same_libraries_are_not_checked(
    server: LoopbackServer, song: bytes, tmp_path: Path
) -> None:
    """The check applies inside yt-dlp's calls only: the daemon's own requests (a media server on
    the LAN, a loopback stand-in) go through urllib3 too and must not be refused by it."""
    import requests

    _downloader(AddressPolicy())  # installs the scoped resolver
    url = server.add("/plain", b"ok", "text/plain")
    assert requests.get(url, timeout=5).text == "ok"


def test_a_listing_is_checked_too(server: LoopbackServer) -> None:
    url = server.add("/feed.xml", b"<rss><channel><title>x</title></channel></rss>", "text/xml")
    with pytest.raises(PermanentError, match="refused to fetch from 127.0.0.1"):
        _downloader(AddressPolicy()).list(url)
    assert server.requests == []
