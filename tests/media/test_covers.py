"""Cover art from a loopback server: images come back (WebP as JPEG), everything else is a
warning and no cover, never a failed job."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from spotsyncd.media.covers import MAX_COVER_BYTES, as_jpeg, fetch_cover
from spotsyncd.system.http import HttpClient
from tests.fakes.http_server import LoopbackServer
from tests.fakes.images import make_image


def test_jpeg_and_png_come_back_as_they_are(server: LoopbackServer, tmp_path: Path) -> None:
    jpeg = make_image(tmp_path / "c.jpg")
    png = make_image(tmp_path / "c.png", "blue")
    assert fetch_cover(server.add("/c.jpg", jpeg, "image/jpeg"), timeout_s=5) == jpeg
    assert fetch_cover(server.add("/c.png", png, "image/png"), http=HttpClient()) == png
    assert server.requests[-1][2]["User-Agent"].startswith("spotsyncd/")
    converted = as_jpeg(png)
    assert converted is not None and converted.startswith(b"\xff\xd8\xff")


def test_webp_thumbnails_become_jpeg(server: LoopbackServer, tmp_path: Path) -> None:
    webp = make_image(tmp_path / "c.webp")
    cover = fetch_cover(server.add("/c.webp", webp, "image/webp"), timeout_s=5)
    assert cover is not None and cover.startswith(b"\xff\xd8\xff")


def test_failures_are_a_warning_without_the_signed_query(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="spotsyncd.media.covers")
    server.add("/page.html", b"<html>not an image</html>", "text/html")
    server.add("/huge.jpg", b"\xff\xd8\xff" + b"\x00" * MAX_COVER_BYTES, "image/jpeg")
    server.fail("/gone.jpg", [503])
    for path in ("/page.html", "/huge.jpg", "/gone.jpg", "/missing.jpg"):
        assert fetch_cover(server.url(path + "?sig=s3cret"), timeout_s=5) is None
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 4
    assert "is not a JPEG or PNG image" in messages[0]
    assert "is larger than 10 MB" in messages[1]
    assert "not fetched" in messages[2] and "HTTP 503" in messages[2]
    assert "HTTP 404" in messages[3]
    assert "s3cret" not in caplog.text
    with LoopbackServer() as gone:
        closed = gone.url("/c.jpg")
    assert fetch_cover(closed, timeout_s=5) is None
    assert "Connection refused" in caplog.records[-1].getMessage()


def test_only_http_urls_are_fetched(server: LoopbackServer) -> None:
    for url in (None, "", "file:///etc/passwd", "ftp://example.org/c.jpg"):
        assert fetch_cover(url) is None
    assert not server.requests
