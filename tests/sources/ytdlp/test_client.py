"""The yt-dlp adapter against a real loopback HTTP server, and its pure conversions against
hand-written fixtures in yt-dlp's real shapes. Nothing here contacts YouTube."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from spotsyncd.core.errors import (
    AuthError,
    BotCheckError,
    CancelledError,
    DiskError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from spotsyncd.core.models import Downloaded, LinkKind, Progress, Source
from spotsyncd.intake.links import parse_link
from spotsyncd.sources.ytdlp.client import (
    YtDlpDownloader,
    classify_error,
    clean_message,
    listing_from_info,
    redact,
)
from spotsyncd.sources.ytdlp.info import candidates_from_info, meta_from_info
from spotsyncd.system.tools import find_ffmpeg, find_js_runtime
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

DATA = Path(__file__).parents[2] / "data"

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("audio")
    return {
        ext: make_audio(folder / f"tone.{ext}", seconds=2).read_bytes() for ext in ("mp3", "m4a")
    }


@pytest.fixture
def downloader() -> YtDlpDownloader:
    return YtDlpDownloader(
        link_of=parse_link, ffmpeg=find_ffmpeg().path, js_runtime=None, timeout_s=5
    )


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "staging" / "download"


# ------------------------------------------------------------------ downloads


@pytest.mark.e2e
@pytest.mark.parametrize(("ext", "mime"), [("mp3", "audio/mpeg"), ("m4a", "audio/mp4")])
def test_direct_audio_url_lands_in_dest_dir_with_meta(
    server: LoopbackServer,
    downloader: YtDlpDownloader,
    dest: Path,
    tmp_path: Path,
    audio_files: dict[str, bytes],
    ext: str,
    mime: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # nothing may be written to the working directory (/ under systemd)
    url = server.add(f"/music/Night%20Drive.{ext}", audio_files[ext], mime)
    seen: list[int] = []

    result = downloader.download(url, dest, progress=lambda p: seen.append(p.downloaded_bytes))

    assert result.path == dest.resolve() / f"source.{ext}"
    assert result.path.read_bytes() == audio_files[ext]
    assert [p.name for p in dest.iterdir()] == [f"source.{ext}"]
    assert list(cwd.iterdir()) == []
    assert result.meta.title == "Night Drive"
    assert result.meta.source_url == url
    assert result.info["ext"] == ext and result.info["extractor_key"] == "Generic"
    json.dumps(result.info)  # goes into the ledger as JSON
    assert seen and seen[-1] == len(audio_files[ext])


@pytest.fixture
def two_urls(server: LoopbackServer, audio_files: dict[str, bytes]) -> tuple[str, str]:
    """An mp3 and an m4a on the loopback server."""
    return (server.add("/one.mp3", audio_files["mp3"], "audio/mpeg"),
            server.add("/two.m4a", audio_files["m4a"], "audio/mp4"))  # fmt: skip


def test_downloads_share_idle_youtubedls_but_each_has_its_own_folder_and_hooks(
    two_urls: tuple[str, str],
    downloader: YtDlpDownloader,
    tmp_path: Path,
    audio_files: dict[str, bytes],
) -> None:
    first_url, second_url = two_urls
    first: list[int] = []
    second: list[int] = []

    one = downloader.download(first_url, tmp_path / "a", progress=lambda p: first.append(1))
    [reused] = downloader._idle
    heard = len(first)
    results: list[Downloaded] = []
    other = threading.Thread(target=lambda: results.append(downloader.download(
        second_url, tmp_path / "b", progress=lambda p: second.append(1))))  # fmt: skip
    other.start()
    other.join()

    assert downloader._idle == [reused], "another thread's download reused the idle YoutubeDL"
    [two] = results
    assert one.path.parent == (tmp_path / "a").resolve() and one.path.suffix == ".mp3"
    assert two.path.parent == (tmp_path / "b").resolve() and two.path.suffix == ".m4a"
    assert two.path.read_bytes() == audio_files["m4a"]
    assert heard > 0 and len(first) == heard and second, "progress went to the right call"
    with pytest.raises(PermanentError, match="404"):
        downloader.download(first_url.replace("one.mp3", "gone.mp3"), tmp_path / "c")
    assert downloader._idle == [], "an error leaves no half-used YoutubeDL behind"
    again = downloader.download(first_url, tmp_path / "d")
    assert again.path.read_bytes() == audio_files["mp3"]


def test_downloads_at_once_use_a_youtubedl_each_and_keep_both(
    two_urls: tuple[str, str],
    downloader: YtDlpDownloader,
    tmp_path: Path,
    audio_files: dict[str, bytes],
) -> None:
    first_url, second_url = two_urls
    inner: list[Downloaded] = []

    def start_another(_: object) -> None:  # runs inside the first download, once
        if not inner:
            other = threading.Thread(
                target=lambda: inner.append(downloader.download(second_url, tmp_path / "b"))
            )
            other.start()
            other.join()

    outer = downloader.download(first_url, tmp_path / "a", progress=start_another)

    assert outer.path.read_bytes() == audio_files["mp3"]
    assert inner and inner[0].path.read_bytes() == audio_files["m4a"]
    assert len(downloader._idle) == 2
    assert downloader._idle[0][0] is not downloader._idle[1][0], "never one YoutubeDL twice"


def test_warm_up_builds_the_first_download_s_youtubedl(
    server: LoopbackServer,
    downloader: YtDlpDownloader,
    tmp_path: Path,
    audio_files: dict[str, bytes],
) -> None:
    downloader.warm_up()
    [built] = downloader._idle

    downloader.download(server.add("/one.mp3", audio_files["mp3"], "audio/mpeg"), tmp_path)

    assert downloader._idle == [built], "the download used the one built ahead"


def test_missing_file_is_permanent(
    server: LoopbackServer, downloader: YtDlpDownloader, dest: Path
) -> None:
    with pytest.raises(PermanentError, match="404"):
        downloader.download(server.url("/gone.mp3"), dest)


def test_503_on_first_request_is_transient_and_not_retried_by_yt_dlp(
    server: LoopbackServer, downloader: YtDlpDownloader, dest: Path, audio_files: dict[str, bytes]
) -> None:
    # yt-dlp never retries the extraction request itself: each 503 costs one of our attempts.
    url = server.add("/a.mp3", audio_files["mp3"], "audio/mpeg")
    server.fail("/a.mp3", [503, 503])
    for expected_hits in (1, 2):
        with pytest.raises(TransientError, match="503"):
            downloader.download(url, dest)
        assert server.hits["/a.mp3"] == expected_hits
    assert downloader.download(url, dest).path.read_bytes() == audio_files["mp3"]


def test_media_request_is_retried_once_by_yt_dlp(
    server: LoopbackServer, downloader: YtDlpDownloader, dest: Path, audio_files: dict[str, bytes]
) -> None:
    url = server.add("/a.mp3", audio_files["mp3"], "audio/mpeg")
    server.fail("/a.mp3", [None, 503])  # extraction fine, first media request fails
    assert downloader.download(url, dest).path.read_bytes() == audio_files["mp3"]
    assert server.hits["/a.mp3"] == 3

    server.fail("/a.mp3", [None, 503, 503])
    with pytest.raises(TransientError, match="503"):
        downloader.download(url, dest / "again")


def test_429_is_rate_limited_with_retry_after(
    server: LoopbackServer, downloader: YtDlpDownloader, dest: Path, audio_files: dict[str, bytes]
) -> None:
    url = server.add("/a.mp3", audio_files["mp3"], "audio/mpeg")
    server.fail("/a.mp3", [429])
    with pytest.raises(RateLimitedError) as caught:
        downloader.download(url, dest)
    assert caught.value.retry_after == 1.0
    assert caught.value.service == "127.0.0.1"


def test_connection_closed_mid_body_resumes_on_next_call(
    server: LoopbackServer, downloader: YtDlpDownloader, dest: Path, audio_files: dict[str, bytes]
) -> None:
    url = server.add("/a.mp3", audio_files["mp3"], "audio/mpeg")
    server.fail("/a.mp3", [None, "close", "close"])  # the media request and yt-dlp's one retry
    with pytest.raises(TransientError):
        downloader.download(url, dest)
    part = dest / "source.mp3.part"
    assert 0 < part.stat().st_size < len(audio_files["mp3"])

    result = downloader.download(url, dest)

    assert result.path.read_bytes() == audio_files["mp3"]
    assert not part.exists()
    last_method, _, last_headers = server.requests[-1]
    assert (
        last_headers.get("Range", "").startswith("bytes=") and last_headers["Range"] != "bytes=0-"
    )


@pytest.mark.parametrize(
    "extra", [0, 5000], ids=["part-holds-the-whole-file", "part-longer-than-the-file"]
)
def test_a_part_the_server_will_not_resume_is_downloaded_again(
    server: LoopbackServer,
    downloader: YtDlpDownloader,
    dest: Path,
    audio_files: dict[str, bytes],
    extra: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Killed after the last byte but before yt-dlp renamed its .part (or the CDN URL now
    serves a shorter file): the server answers the resume with 416, which yt-dlp alone turns
    into the same error on every retry. The download starts over, once."""
    body = audio_files["mp3"]
    url = server.add("/whole.mp3", body, "audio/mpeg")
    dest.mkdir(parents=True)
    (dest / "source.mp3.part").write_bytes(body + b"\0" * extra)

    with caplog.at_level("INFO"):
        result = downloader.download(url, dest)

    assert result.path.read_bytes() == body
    assert [p.name for p in dest.iterdir()] == ["source.mp3"]
    ranges = [headers.get("Range") for _, _, headers in server.requests]
    assert f"bytes={len(body) + extra}-" in ranges  # the resume was tried and refused
    assert ranges[-1] is None  # then the whole file, from the first byte
    assert "would not resume" in caplog.text


@pytest.mark.e2e
def test_stalled_transfer_times_out_as_transient(
    server: LoopbackServer, dest: Path, audio_files: dict[str, bytes]
) -> None:
    impatient = YtDlpDownloader(
        link_of=parse_link, ffmpeg=find_ffmpeg().path, js_runtime=None, timeout_s=1
    )
    url = server.add("/a.mp3", audio_files["mp3"], "audio/mpeg")
    server.fail("/a.mp3", [None, ("stall", 3), ("stall", 3)])
    started = time.monotonic()
    with pytest.raises(TransientError, match="timed out"):
        impatient.download(url, dest)
    assert time.monotonic() - started < 5


@pytest.fixture
def slow_server(server: LoopbackServer) -> Iterator[LoopbackServer]:
    """Serves /slow.mp3 at about 100 kB/s (5 s in all) until the client hangs up."""
    size = 500_000

    def trickle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "audio/mpeg")
        req.send_header("Content-Length", str(size))
        req.end_headers()
        try:
            for _ in range(size // 2000):
                req.wfile.write(b"\xff" * 2000)
                req.wfile.flush()
                time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            pass
        req.close_connection = True

    server.route("/slow.mp3", trickle)
    yield server


def test_cancel_stops_a_slow_download_promptly(
    slow_server: LoopbackServer, downloader: YtDlpDownloader, dest: Path
) -> None:
    cancel = threading.Event()
    progressed = threading.Event()
    cancelled_at: list[float] = []

    def on_progress(p: Progress) -> None:
        if p.downloaded_bytes > 0:
            progressed.set()

    def cancel_once_bytes_flow() -> None:
        # Cancel mid-transfer (not at a fixed time: importing yt-dlp alone can take longer
        # than that on a loaded machine, and a cancel before the first byte tests nothing).
        if progressed.wait(20):
            time.sleep(0.2)
        cancelled_at.append(time.monotonic())
        cancel.set()

    canceller = threading.Thread(target=cancel_once_bytes_flow, daemon=True)
    canceller.start()
    with pytest.raises(CancelledError):
        downloader.download(slow_server.url("/slow.mp3"), dest, progress=on_progress, cancel=cancel)
    stopped = time.monotonic()
    canceller.join()
    assert progressed.is_set()
    assert stopped - cancelled_at[0] < 2  # the 500 kB would take 5 s more
    assert (dest / "source.mp3.part").stat().st_size > 0  # kept for the next attempt


def test_cancel_already_set_does_not_start(
    server: LoopbackServer, downloader: YtDlpDownloader, dest: Path
) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        downloader.download(server.url("/a.mp3"), dest, cancel=cancel)
    assert server.hits["/a.mp3"] == 0


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/etc/passwd", "ftp://127.0.0.1/a.mp3", "etc/passwd", ""]
)
def test_non_http_urls_never_reach_yt_dlp(
    downloader: YtDlpDownloader, dest: Path, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(PermanentError, match="only http"):
            downloader.download(url, dest)
        with pytest.raises(PermanentError, match="only http"):
            downloader.list(url)
    assert not [r for r in caplog.records if r.getMessage().startswith("yt-dlp:")]
    assert not dest.exists()


def test_cookies_file_is_sent_and_left_untouched(
    server: LoopbackServer, dest: Path, tmp_path: Path, audio_files: dict[str, bytes]
) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t4102444800\tSID\tsecret-value\n"
    )
    before = cookies.read_bytes()
    with_cookies = YtDlpDownloader(
        link_of=parse_link,
        ffmpeg=find_ffmpeg().path,
        js_runtime=None,
        timeout_s=5,
        cookies_file=cookies,
    )
    url = server.add("/a.mp3", audio_files["mp3"], "audio/mpeg")
    with_cookies.download(url, dest)
    assert all("SID=secret-value" in h.get("Cookie", "") for _, _, h in server.requests)
    assert cookies.read_bytes() == before


def test_unreadable_cookies_file_is_an_auth_error(
    server: LoopbackServer, dest: Path, tmp_path: Path
) -> None:
    missing = YtDlpDownloader(
        link_of=parse_link,
        ffmpeg=find_ffmpeg().path,
        js_runtime=None,
        cookies_file=tmp_path / "nope.txt",
    )
    with pytest.raises(AuthError, match="cookies_file"):
        missing.download(server.url("/a.mp3"), dest)


def test_js_runtime_and_ffmpeg_are_passed_by_path(tmp_path: Path) -> None:
    for binary, name in (("deno", "deno"), ("node", "node"), ("qjs", "quickjs")):
        dl = YtDlpDownloader(
            link_of=parse_link, ffmpeg=tmp_path / "ffmpeg", js_runtime=tmp_path / binary
        )
        params = dl._params()
        assert params["js_runtimes"] == {name: {"path": str(tmp_path / binary)}}
        assert params["ffmpeg_location"] == str(tmp_path / "ffmpeg")
        assert params["cachedir"] is False


# ------------------------------------------------------------------ listings

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Loopback Radio</title><link>http://127.0.0.1/</link><description>t</description>
{items}
</channel></rss>"""
ITEM = """<item><title>Episode {n}</title><guid isPermaLink="false">ep-{n}-guid</guid>
<itunes:duration>00:0{n}:00</itunes:duration>
<enclosure url="{base}/ep{n}.mp3" length="1000" type="audio/mpeg"/></item>"""


def _feed(base: str, count: int) -> bytes:
    items = "\n".join(ITEM.format(n=n, base=base) for n in range(1, count + 1))
    return RSS.format(items=items).encode()


def test_rss_feed_lists_episodes_with_stable_keys(
    server: LoopbackServer, downloader: YtDlpDownloader, dest: Path
) -> None:
    base = server.url("")
    feed = server.add("/feed.xml", _feed(base, 3), "application/rss+xml")

    listing = downloader.list(feed)

    assert listing is not None
    assert listing.title == "Loopback Radio"
    assert [i.link.key for i in listing.items] == [f"url:{base}/ep{n}.mp3" for n in (1, 2, 3)]
    assert [i.link.url for i in listing.items] == [f"{base}/ep{n}.mp3" for n in (1, 2, 3)]
    assert [i.meta.title for i in listing.items] == ["Episode 1", "Episode 2", "Episode 3"]
    assert [i.meta.duration_s for i in listing.items] == [60.0, 120.0, 180.0]
    assert all(i.link.kind == LinkKind.TRACK for i in listing.items)
    assert server.hits["/ep1.mp3"] == 0  # flat: no per-item requests
    assert downloader.list(feed) == listing

    server.add("/feed.xml", _feed(base, 4), "application/rss+xml")
    grown = downloader.list(feed)
    assert grown is not None and len(grown.items) == 4
    assert grown.fingerprint != listing.fingerprint


def test_download_refuses_a_feed_without_fetching_items(
    server: LoopbackServer, downloader: YtDlpDownloader, dest: Path
) -> None:
    feed = server.add("/feed.xml", _feed(server.url(""), 2), "application/rss+xml")
    with pytest.raises(PermanentError, match="list of items"):
        downloader.download(feed, dest)
    assert server.hits["/ep1.mp3"] == server.hits["/ep2.mp3"] == 0


def test_single_audio_url_is_not_a_listing(
    server: LoopbackServer, downloader: YtDlpDownloader, audio_files: dict[str, bytes]
) -> None:
    assert downloader.list(server.add("/a.mp3", audio_files["mp3"], "audio/mpeg")) is None


def test_list_of_missing_page_is_permanent(
    server: LoopbackServer, downloader: YtDlpDownloader
) -> None:
    with pytest.raises(PermanentError):
        downloader.list(server.url("/missing.xml"))


def test_youtube_flat_playlist_becomes_a_listing() -> None:
    info = json.loads((DATA / "youtube_playlist_flat.json").read_text())

    listing = listing_from_info(info, link_of=parse_link)

    ids = ["dQw4w9WgXcQ", "kJQP7kiw5Fk", "Zi_XLOBDo_Y"]
    assert listing.title == "Road trip"
    assert [i.link.key for i in listing.items] == [f"youtube:{v}" for v in ids]
    assert [i.link.url for i in listing.items] == [
        f"https://www.youtube.com/watch?v={v}" for v in ids
    ]
    assert {(i.link.source, i.link.kind) for i in listing.items} == {
        (Source.YOUTUBE, LinkKind.TRACK)
    }
    first, second, private = (i.meta for i in listing.items)
    assert (first.title, first.artists, first.duration_s) == (
        "Never Gonna Give You Up",
        ("Rick Astley",),
        213.0,
    )
    assert second.artists == ("Luis Fonsi",)  # "- Topic" channel names the artist
    assert private.artists == () and private.duration_s is None
    assert listing.notes == ("dropped 1 repeated entries",)
    keys = "".join(f"youtube:{v}\n" for v in ids).encode()
    assert listing.fingerprint == hashlib.sha256(keys).hexdigest()


def test_listing_skips_unusable_and_refuses_local_entries() -> None:
    info = {
        "_type": "playlist",
        "title": "mixed",
        "entries": [
            {"_type": "url", "ie_key": "Generic", "url": "file:///etc/passwd", "title": "x"},
            {"_type": "url", "title": "no url"},
            {
                "_type": "url",
                "ie_key": "Soundcloud",
                "id": "123",
                "url": "https://soundcloud.com/a/b",
                "title": "b",
            },
            {
                "_type": "url",
                "ie_key": "YoutubeTab",
                "id": "UCabc",
                "url": "https://www.youtube.com/channel/UCabc/videos",
            },
        ],
    }
    listing = listing_from_info(info, link_of=parse_link)
    assert [(i.link.key, i.link.kind) for i in listing.items] == [
        ("soundcloud:123", LinkKind.TRACK),
        ("youtubetab:UCabc", LinkKind.COLLECTION),
    ]
    assert listing.notes == (
        "skipped 1 entries without a usable URL",
        "refused 1 entries that are not http(s) links",
    )


# ------------------------------------------------------------------ search and metadata

SEARCH_RESULT = {
    "_type": "playlist",
    "id": "lost identities moments",
    "title": "lost identities moments",
    "entries": [
        {"_type": "url", "ie_key": "Youtube", "id": "aBcDeFgHiJk",
         "url": "https://www.youtube.com/watch?v=aBcDeFgHiJk", "title": "Moments",
         "channel": "Lost Identities - Topic", "channel_id": "UCtopic0000000000000000",
         "duration": 204.0, "view_count": 51234},
        {"_type": "url", "ie_key": "YoutubeTab", "id": "UCchan", "url":
         "https://www.youtube.com/channel/UCchan", "title": "Lost Identities"},
        {"_type": "url", "ie_key": "Youtube", "id": "ZyXwVuTsRqP",
         "url": "https://www.youtube.com/shorts/ZyXwVuTsRqP", "title": "Moments (live)",
         "channel": "Fan Uploads", "channel_id": "UCfan00000000000000000", "duration": 250,
         "view_count": None},
    ],
}  # fmt: skip


def test_search_result_becomes_candidates() -> None:
    found = candidates_from_info(SEARCH_RESULT, limit=10)
    assert [(c.video_id, c.title, c.channel) for c in found] == [
        ("aBcDeFgHiJk", "Moments", "Lost Identities - Topic"),
        ("ZyXwVuTsRqP", "Moments (live)", "Fan Uploads"),
    ]
    first, second = found
    assert first.artists == ("Lost Identities",) and second.artists == ()
    assert (first.duration_s, first.views, second.views) == (204.0, 51234, None)
    assert {(c.kind, c.provider) for c in found} == {("video", "youtube")}
    assert first.watch_url == "https://www.youtube.com/watch?v=aBcDeFgHiJk"
    assert len(candidates_from_info(SEARCH_RESULT, limit=1)) == 1


def test_meta_prefers_music_fields_over_video_fields() -> None:
    info = {
        "id": "kJQP7kiw5Fk",
        "title": "Luis Fonsi - Despacito (Official Video)",
        "track": "Despacito",
        "artists": ["Luis Fonsi", "Daddy Yankee"],
        "artist": "ignored",
        "album": "VIDA",
        "track_number": 3,
        "release_date": "20170113",
        "release_year": 2017,
        "upload_date": "20170112",
        "duration": 282,
        "channel": "Luis Fonsi - Topic",
        "webpage_url": "https://www.youtube.com/watch?v=kJQP7kiw5Fk",
        "genres": ["Latin"],
        "thumbnails": [
            {"url": "https://i.ytimg.com/small.jpg", "width": 120, "height": 90},
            {"url": "https://i.ytimg.com/big.jpg", "width": 1280, "height": 720},
            {"url": "data:image/png;base64,AAAA", "width": 9999, "height": 9999},
        ],
    }
    meta = meta_from_info(info)
    assert (meta.title, meta.artists, meta.album) == (
        "Despacito",
        ("Luis Fonsi", "Daddy Yankee"),
        "VIDA",
    )
    assert (meta.track_number, meta.date, meta.duration_s, meta.genre) == (
        3,
        "2017-01-13",
        282.0,
        "Latin",
    )
    assert meta.cover_url == "https://i.ytimg.com/big.jpg"
    assert meta.source_url == info["webpage_url"]

    plain = meta_from_info(
        {
            "title": "A Song",
            "uploader": "Some Band - Topic",
            "release_year": 1999,
            "upload_date": "20200101",
        }
    )
    assert (plain.title, plain.artists, plain.date) == ("A Song", ("Some Band",), "1999")
    assert meta_from_info({"upload_date": "20200102"}).date == "2020-01-02"


# ------------------------------------------------------------------ classification

# Real yt-dlp messages (2026.08.19): youtube/_video.py, common.py, utils/_utils.py, generic.py.
CLASSIFY_CASES = [
    ("ERROR: [youtube] dQw4w9WgXcQ: Sign in to confirm you\u2019re not a bot. Use "
     "--cookies-from-browser or --cookies for the authentication.", None, BotCheckError),
    ("Sign in to confirm you're not a bot. This helps protect our community.", None, BotCheckError),
    ("[youtube] x: Video unavailable. YouTube is requiring a captcha challenge before playback",
     None, BotCheckError),
    ("ERROR: unable to download video data: HTTP Error 403: Forbidden (googlevideo.com)", None,
     BotCheckError),
    ("[youtube] abc: Private video. Sign in if you've been granted access to this video", None,
     PermanentError),
    ("[youtube] abc: Video unavailable. This video is no longer available because the YouTube "
     "account associated with this video has been terminated.", None, PermanentError),
    ("[youtube] abc: This video is not available", None, PermanentError),
    ("[youtube] abc: Join this channel to get access to members-only content like this video, "
     "and other exclusive perks.", None, PermanentError),
    ("[youtube] abc: Video unavailable. The uploader has not made this video available in your "
     "country", None, PermanentError),
    ("This video is not available from your location due to geo restriction", None,
     PermanentError),
    ("[youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.",
     None, PermanentError),
    ("[youtube] abc: This video is DRM protected", None, PermanentError),
    ("This video has been removed by the uploader", None, PermanentError),
    ("ERROR: Unsupported URL: https://example.com/page", None, PermanentError),
    ("Unable to download webpage: HTTP Error 404: Not Found", None, PermanentError),
    ("Unable to download webpage: HTTP Error 410: Gone", None, PermanentError),
    ("[download] Got error: HTTP Error 503: Service Unavailable", None, TransientError),
    ("Unable to download webpage: HTTP Error 429: Too Many Requests", None, RateLimitedError),
    ("[youtube] abc: This content isn't available, try again later. The current session has been "
     "rate-limited by YouTube for up to an hour.", None, RateLimitedError),
    ("something odd", 429, RateLimitedError),
    ("something odd", 502, TransientError),
    ("[download] Got error: HTTPConnectionPool(host='h', port=80): Read timed out.", None,
     TransientError),
    ("Failed to establish a new connection: [Errno 111] Connection refused", None, TransientError),
    ("[download] Got error: 16530 bytes read, 16531 more expected", None, TransientError),
    ("IncompleteRead(100 bytes read)", None, TransientError),
    ("[Errno -3] Temporary failure in name resolution", None, TransientError),
    ("Unable to download video: [Errno 28] No space left on device", None, DiskError),
    ("[Errno 30] Read-only file system: '/music/x.part'", None, DiskError),
    ("a message nobody has seen before", None, TransientError),
    ("Unable to download webpage: No connection adapters were found for 'file:///etc/passwd'",
     None, PermanentError),
]  # fmt: skip


@pytest.mark.parametrize(("message", "status", "expected"), CLASSIFY_CASES)
def test_classify_error(message: str, status: int | None, expected: type) -> None:
    assert classify_error(message, http_status=status) is expected


def test_403_is_a_bot_check_only_for_youtube() -> None:
    message = "[download] Got error: HTTP Error 403: Forbidden"
    assert classify_error(message, youtube=True) is BotCheckError
    assert classify_error(message) is TransientError


def test_messages_carry_no_signed_urls_or_cookies() -> None:
    signed = (
        "ERROR: unable to download video data: https://rr1---sn-abc.googlevideo.com/"
        "videoplayback?expire=1767225600&ei=abc&ip=203.0.113.9&sig=AOq0QJ8wRQIhAL3secret"
        "&lsig=AGluJ3MwRQIgsecret (caused by <HTTPError 403: Forbidden>)"
    )
    cleaned = clean_message(signed)
    assert "secret" not in cleaned and "203.0.113.9" not in cleaned
    assert cleaned.startswith("unable to download video data: https://rr1---sn-abc.googlevideo")
    assert "caused by" not in cleaned
    assert redact("Cookie: SID=abc; HSID=def") == "Cookie: <redacted>"
    assert redact("see https://www.youtube.com/watch?v=dQw4w9WgXcQ") == (
        "see https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )


def test_yt_dlp_accepts_the_js_runtime_option() -> None:
    runtime = find_js_runtime()
    if runtime is None:
        pytest.skip("no JavaScript runtime installed")
    dl = YtDlpDownloader(link_of=parse_link, ffmpeg=find_ffmpeg().path, js_runtime=runtime.path)
    with dl._ydl(dl._params()) as ydl:
        # yt-dlp's own view of the runtime: a wrong option shape would leave it unusable.
        found = ydl._js_runtimes
        assert len(found) == 1
        assert next(iter(found.values())).info is not None


def test_a_web_servers_file_date_is_not_a_release_date(
    downloader: YtDlpDownloader, server: LoopbackServer, audio_files: dict[str, bytes], dest: Path
) -> None:
    """yt-dlp's generic extractor reads Last-Modified as the upload date: when the file was put
    on that server, not when the recording came out. No date is better than a wrong one."""
    url = server.add(
        "/old.mp3",
        audio_files["mp3"],
        "audio/mpeg",
        **{"Last-Modified": "Sat, 05 May 2001 10:00:00 GMT"},
    )
    downloaded = downloader.download(url, dest)
    assert downloaded.info.get("upload_date") in (None, "20010505")
    assert downloaded.meta.date is None
