"""FollowPoller with in-memory sources that count requests, and with yt-dlp on a loopback feed."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from spotsyncd.core.errors import DeferredError, PermanentError, RateLimitedError, TransientError
from spotsyncd.core.models import JobState, Link, LinkKind, ListedItem, Listing, Source, TrackMeta
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.follows.sync import FollowPoller, backoff_delay
from spotsyncd.intake.links import parse_link
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.follows.registry import FollowRow
from spotsyncd.ledger.schema import events, follow_items, jobs, tracks
from tests.fakes.http_server import LoopbackServer

PLAYLIST = "spotify:playlist:" + "P" * 22
ALBUM = "spotify:album:" + "A" * 22
FEED = "https://feeds.example.org/show.rss"


def sp_track(n: int) -> ListedItem:
    tid = f"{n:022d}"
    link = Link(f"spotify:track:{tid}", f"https://open.spotify.com/track/{tid}", Source.SPOTIFY,
                LinkKind.TRACK)  # fmt: skip
    return ListedItem(link, TrackMeta(title=f"Song {n}", artists=("Band",), duration_s=180))


def episode(n: int) -> ListedItem:
    url = f"https://feeds.example.org/ep{n}.mp3"
    return ListedItem(Link(f"url:{url}", url, Source.GENERIC, LinkKind.TRACK),
                      TrackMeta(title=f"Episode {n}"))  # fmt: skip


class FakeSpotify:
    """Snapshot ids change whenever the tracks change, like Spotify's."""

    def __init__(self) -> None:
        self.items: dict[str, list[int]] = {}
        self.calls: Counter[str] = Counter()
        self.error: Exception | None = None

    def _snapshot(self, key: str) -> str:
        return hashlib.sha1(repr(self.items[key]).encode()).hexdigest()

    def snapshot(self, key: str) -> str | None:
        self.calls["snapshot"] += 1
        if self.error:
            raise self.error
        return self._snapshot(key) if key.startswith("spotify:playlist:") else None

    def list(self, key: str) -> Listing:
        self.calls["list"] += 1
        if self.error:
            raise self.error
        items = tuple(sp_track(n) for n in self.items[key])
        if key.startswith("spotify:playlist:"):
            return Listing("Road Trip", items, self._snapshot(key))
        return Listing("An Album", items, "hash-" + ",".join(map(str, self.items[key])))


class FakeLister:
    """A flat listing per URL; the fingerprint it reports is deliberately unstable (like a
    listing with view counts), so the poller must hash the keys itself."""

    def __init__(self) -> None:
        self.items: dict[str, list[int]] = {}
        self.calls: Counter[str] = Counter()
        self.errors: dict[str, Exception] = {}

    def list(self, url: str) -> Listing | None:
        self.calls[url] += 1
        if url in self.errors:
            raise self.errors[url]
        if url not in self.items:
            return None
        items = tuple(episode(n) for n in self.items[url])
        return Listing("Loopback Radio", items, fingerprint=str(time.monotonic_ns()))


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.library = tmp_path / "library"
        self.library.mkdir()
        self.ledger = Ledger(tmp_path / "ledger.sqlite3")
        self.spotify = FakeSpotify()
        self.lister = FakeLister()
        self.wakes = 0
        self.playlists = PlaylistWriter(self.library)
        self.poller = FollowPoller(self.ledger, spotify=self.spotify, lister=self.lister,
                                   wake=self._wake, library_dir=self.library,
                                   playlists=self.playlists)  # fmt: skip

    def _wake(self) -> None:
        self.wakes += 1

    def follow(self, key: str, url: str, name: str, **options: str) -> FollowRow:
        kind = Source.SPOTIFY if key.startswith("spotify:") else Source.GENERIC
        link = Link(key, url, kind, LinkKind.COLLECTION)
        return self.ledger.add_follow(link, name=name, interval_s=3600, options=dict(options),
                                      origin="cli")  # fmt: skip

    def row(self, name: str) -> FollowRow:
        row = self.ledger.follow(name)
        assert row is not None
        return row

    def table_counts(self) -> tuple[int, ...]:
        with self.ledger.engine.connect() as conn:
            return tuple(
                int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (tracks, jobs, follow_items, events)
            )

    def finish_all(self) -> None:
        """Pretend the workers downloaded every pending track into real files."""
        while (job := self.ledger.claim_next_job("test")) is not None:
            rel = f"Band/{job.track.title}.mp3"
            (self.library / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.library / rel).write_bytes(b"ID3 audio")
            self.ledger.finish_job(job.job_id, job.track.id, path=rel, size_bytes=9,
                                   duration_s=180.0, meta=job.track.meta, info=None,
                                   audio_settings="mp3", loudness_lufs=None, download_s=0,
                                   process_s=0, message="ok")  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    environment = Env(tmp_path)
    yield environment
    environment.ledger.close()


# ------------------------------------------------------------------ Spotify


def test_unchanged_spotify_playlist_costs_exactly_one_snapshot_request(env: Env) -> None:
    env.spotify.items[PLAYLIST] = [1, 2, 3]
    env.follow(PLAYLIST, "https://open.spotify.com/playlist/" + "P" * 22, "trip")
    first = env.poller.poll(env.row("trip"))
    assert first.status == "changed" and first.diff is not None and len(first.diff.new) == 3
    assert env.wakes == 1
    env.spotify.calls.clear()
    before = env.table_counts()

    again = env.poller.poll(env.row("trip"))

    assert again.status == "unchanged"
    assert env.spotify.calls == Counter({"snapshot": 1})
    assert env.table_counts() == before and env.wakes == 1


def test_changed_spotify_playlist_queues_only_the_new_tracks(env: Env) -> None:
    env.spotify.items[PLAYLIST] = [1, 2, 3]
    env.follow(PLAYLIST, "https://open.spotify.com/playlist/x", "trip")
    env.poller.poll(env.row("trip"))
    env.finish_all()

    env.spotify.items[PLAYLIST] = [1, 2, 3, 4, 5]
    added = env.poller.poll(env.row("trip"))
    env.spotify.items[PLAYLIST] = [1, 3, 4, 5]
    removed = env.poller.poll(env.row("trip"))

    assert added.diff is not None and [k[-2:] for k in added.diff.new] == ["04", "05"]
    assert env.ledger.counts()["pending"] == 2 and env.ledger.counts()["done"] == 3
    assert removed.diff is not None and removed.diff.removed == (sp_track(2).link.key,)
    assert (env.library / "Band/Song 2.mp3").exists()  # on_removed defaults to keep
    assert env.row("trip").tracks_absent == 1


def test_spotify_album_is_listed_and_compared_by_fingerprint(env: Env) -> None:
    env.spotify.items[ALBUM] = [7, 8]
    env.follow(ALBUM, "https://open.spotify.com/album/x", "album")
    env.poller.poll(env.row("album"))
    before = env.table_counts()

    again = env.poller.poll(env.row("album"))

    assert again.status == "unchanged" and env.table_counts() == before
    assert env.spotify.calls == Counter({"list": 2})


# ------------------------------------------------------------------ flat lists (yt-dlp)


def test_unchanged_feed_costs_one_listing_and_changes_nothing(env: Env) -> None:
    env.lister.items[FEED] = [1, 2]
    env.follow("url:" + FEED, FEED, "radio")
    env.poller.poll(env.row("radio"))
    polled_at = env.row("radio").last_poll_at
    before = env.table_counts()
    time.sleep(0.01)

    again = env.poller.poll(env.row("radio"))

    assert again.status == "unchanged" and env.lister.calls[FEED] == 2
    assert env.table_counts() == before
    row = env.row("radio")
    assert row.last_poll_at is not None and polled_at is not None
    assert row.last_poll_at > polled_at


def test_a_single_item_cannot_be_followed(env: Env) -> None:
    env.follow("url:https://example.org/one.mp3", "https://example.org/one.mp3", "one")

    outcome = env.poller.poll(env.row("one"))

    assert outcome.status == "error" and outcome.error is not None
    assert "single item" in outcome.error and env.row("one").error_class == "permanent"


# ------------------------------------------------------------------ errors


def test_errors_back_off_per_follow_and_never_stop_the_others(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.lister.items = {FEED: [1], "https://b.example/feed": [1, 2]}
    env.lister.errors[FEED] = RateLimitedError("429 Too Many Requests", retry_after=900)
    env.follow("url:" + FEED, FEED, "limited")
    env.follow("url:https://b.example/feed", "https://b.example/feed", "fine")

    with caplog.at_level(logging.WARNING, logger="spotsyncd.follows.sync"):
        outcomes = [env.poller.poll(row) for row in env.ledger.follows()]

    assert [o.status for o in outcomes] == ["changed", "error"]  # sorted by name
    limited = env.row("limited")
    assert limited.failures == 1 and limited.error_class == "rate_limited"
    assert limited.backoff_until is not None and limited.backoff_until >= time.time() + 890
    assert "limited: poll failed (rate_limited)" in caplog.text
    # Still backing off: no request at all.
    assert env.poller.poll(limited).status == "backing_off" and env.lister.calls[FEED] == 1


@pytest.mark.parametrize(
    "error",
    [TransientError("connection reset"), PermanentError("HTTP 404"), RuntimeError("bug")],
)
def test_poll_never_raises(env: Env, error: Exception) -> None:
    env.spotify.error = error
    env.follow(PLAYLIST, "https://open.spotify.com/playlist/x", "trip")

    outcome = env.poller.poll(env.row("trip"))

    assert outcome.status == "error" and outcome.retry_at is not None
    assert env.row("trip").failures == 1


def test_backoff_grows_up_to_the_interval_and_honours_retry_after() -> None:
    assert [backoff_delay(n, 3600) for n in range(8)] == [
        60, 120, 240, 480, 960, 1920, 3600, 3600
    ]  # fmt: skip
    assert backoff_delay(0, 3600, retry_after=7200) == 7200


# ------------------------------------------------------------------ library side effects


def test_playlist_file_follows_downloads_and_removals(env: Env) -> None:
    env.spotify.items[PLAYLIST] = [1, 2]
    env.follow(PLAYLIST, "https://open.spotify.com/playlist/x", "trip")
    env.poller.poll(env.row("trip"))
    m3u8 = env.library / "Playlists" / "trip.m3u8"
    assert m3u8.read_text(encoding="utf-8") == "#EXTM3U\n"  # nothing downloaded yet

    env.finish_all()
    env.poller.poll(env.row("trip"))  # unchanged at the source, but files arrived
    assert "../Band/Song 2.mp3" in m3u8.read_text(encoding="utf-8")

    env.spotify.items[PLAYLIST] = [2]
    env.poller.poll(env.row("trip"))
    assert m3u8.read_text(encoding="utf-8") == (
        "#EXTM3U\n#EXTINF:180,Band – Song 2\n../Band/Song 2.mp3\n"
    )


def test_on_removed_delete_removes_only_files_nothing_else_wants(env: Env) -> None:
    other = "spotify:playlist:" + "O" * 22
    env.spotify.items = {PLAYLIST: [1, 2, 3], other: [3]}
    env.follow(PLAYLIST, "https://open.spotify.com/playlist/x", "trip", on_removed="delete")
    env.follow(other, "https://open.spotify.com/playlist/o", "other")
    env.poller.poll(env.row("trip"))
    env.poller.poll(env.row("other"))
    env.finish_all()

    env.spotify.items[PLAYLIST] = [2]
    outcome = env.poller.poll(env.row("trip"))

    assert outcome.deleted == ("Band/Song 1.mp3",)
    assert not (env.library / "Band/Song 1.mp3").exists()
    assert (env.library / "Band/Song 3.mp3").exists()  # "other" still lists it
    track = env.ledger.track(sp_track(1).link.key)
    assert track is not None and track.path is None and track.state == JobState.DONE


# ------------------------------------------------------------------ real yt-dlp, loopback feed

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Loopback Radio</title><link>http://127.0.0.1/</link>
<description>t</description>{items}</channel></rss>"""
ITEM = """<item><title>Episode {n}</title><guid isPermaLink="false">ep-{n}</guid>
<enclosure url="{base}/ep{n}.mp3" length="1000" type="audio/mpeg"/></item>"""


def _feed(base: str, numbers: list[int]) -> bytes:
    return RSS.format(items="".join(ITEM.format(n=n, base=base) for n in numbers)).encode()


@pytest.mark.e2e
def test_real_feed_through_yt_dlp_on_loopback(server: LoopbackServer, env: Env) -> None:
    download = pytest.importorskip(
        "spotsyncd.sources.ytdlp.client", reason="download.py not written yet"
    )
    from spotsyncd.system.tools import find_ffmpeg

    lister = download.YtDlpDownloader(
        link_of=parse_link, ffmpeg=find_ffmpeg().path, js_runtime=None, timeout_s=5
    )
    poller = FollowPoller(env.ledger, spotify=None, lister=lister, wake=lambda: None,
                          library_dir=env.library, playlists=env.playlists)  # fmt: skip
    base = server.url("")
    feed = server.add("/feed.xml", _feed(base, [1, 2]), "application/rss+xml")
    env.follow("url:" + feed, feed, "radio")

    first = poller.poll(env.row("radio"))
    hits_after_first = server.hits["/feed.xml"]
    unchanged = poller.poll(env.row("radio"))
    hits_after_second = server.hits["/feed.xml"]
    server.add("/feed.xml", _feed(base, [1, 2, 3]), "application/rss+xml")
    grown = poller.poll(env.row("radio"))

    assert first.diff is not None and len(first.diff.new) == 2
    assert unchanged.status == "unchanged"
    assert hits_after_first == 1 and hits_after_second == 2  # one request per unchanged poll
    assert grown.diff is not None and grown.diff.new == (f"url:{base}/ep3.mp3",)
    assert server.hits["/ep1.mp3"] == 0  # polls never download


def test_a_poll_waits_for_its_services_open_circuit_without_asking(env: Env) -> None:
    """The daemon's guard (the service's circuit shared through the ledger) says Spotify is
    paused: the poll does not call Spotify and comes back when the circuit closes."""
    until = time.time() + 1800
    lanes: list[str] = []

    @contextlib.contextmanager
    def guard(lane: str) -> Iterator[None]:
        lanes.append(lane)
        if lane == "spotify":
            raise DeferredError("spotify circuit open until later: 429", until)
        yield

    poller = FollowPoller(env.ledger, spotify=env.spotify, lister=env.lister, wake=lambda: None,
                          library_dir=env.library, playlists=env.playlists,
                          guard=guard)  # fmt: skip
    env.spotify.items[PLAYLIST] = [1, 2]
    row = env.follow(PLAYLIST, "https://open.spotify.com/playlist/" + "P" * 22, "trip")
    outcome = poller.poll(row)
    assert outcome.status == "error" and outcome.retry_at == pytest.approx(until, abs=2)
    assert sum(env.spotify.calls.values()) == 0 and lanes == ["spotify"]
    env.lister.items[FEED] = [1]
    feed = env.follow("url:" + FEED, FEED, "radio")
    assert poller.poll(feed).status == "changed" and lanes == ["spotify", "generic"]
