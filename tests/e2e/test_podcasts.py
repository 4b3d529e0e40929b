"""A podcast followed as a new user would, with the daemon as a process: episodes are named and
tagged from the feed (not ``Unknown Artist/Singles/ep1.mp3``), ``keep_last: 2`` keeps the newest
two across three polls, the ``.m3u8`` lists them by title, an unchanged poll is one conditional
request, and moving the enclosures to another host behind a tracking redirect downloads nothing
twice."""

from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags

from tests.e2e.harness import Daemon, Env, wait_for
from tests.e2e.test_web import web_env, web_url
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer
from tests.fakes.images import make_image

pytestmark = pytest.mark.timeout(300)

SHOW = "Loopback Tales"
AUTHOR = "Ada Host"
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title><![CDATA[{show}]]></title><link>http://127.0.0.1/</link>
<description>stories</description><itunes:author>{author}</itunes:author>
<itunes:image href="{cover}"/>
{items}
</channel></rss>"""
ITEM = """<item><title>Episode {n}: {name}</title>{guid}
<pubDate>{day:02d} Mar 2025 06:00:00 +0000</pubDate>
<itunes:episode>{n}</itunes:episode><itunes:season>2</itunes:season>
<description><![CDATA[<p>All about <b>{name}</b>.</p>]]></description>{chapters}
<enclosure url="{url}" length="1000" type="audio/mpeg"/></item>"""
NAMES = {1: "Pilot", 2: "The Well", 3: "No Guid Here", 4: "Chapters", 5: "Moved"}
CHAPTERS = {
    "version": "1.2.0",
    "chapters": [{"startTime": 0, "title": "Cold open"}, {"startTime": 1, "title": "The story"}],
}


def _item(n: int, url: str, chapters_url: str) -> str:
    guid = "" if n == 3 else f'<guid isPermaLink="false">tales-{n}</guid>'  # 3: by its file
    chapters = (
        f'<podcast:chapters url="{chapters_url}" type="application/json+chapters"/>'
        if n == 4
        else ""
    )
    return ITEM.format(n=n, name=NAMES[n], guid=guid, day=n, chapters=chapters, url=url)


class Feed:
    """``/feed.xml`` with an ETag: a request that names the current one gets 304."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.body = b""
        self.answers: list[int] = []
        server.route("/feed.xml", self._serve)

    def publish(self, enclosures: dict[int, str]) -> None:
        items = "\n".join(
            _item(n, url, self.server.url("/chapters.json"))
            for n, url in sorted(enclosures.items(), reverse=True)  # newest first
        )
        cover = self.server.url("/cover.jpg")
        self.body = RSS.format(show=SHOW, author=AUTHOR, cover=cover, items=items).encode()

    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        etag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'
        if req.headers.get("If-None-Match") == etag:
            self.answers.append(304)
            req.send_response(304)
            req.send_header("ETag", etag)
            req.end_headers()
            return
        self.answers.append(200)
        req.send_response(200)
        req.send_header("Content-Type", "application/rss+xml")
        req.send_header("ETag", etag)
        req.send_header("Content-Length", str(len(self.body)))
        req.end_headers()
        req.wfile.write(self.body)


def _tracked(tracker: LoopbackServer, cdn: LoopbackServer, n: int) -> str:
    """A measurement service's address for episode ``n``: ``/track/ID/HOST:PORT/path``, which
    answers 302 to ``http://HOST:PORT/path`` on the new CDN."""
    target = f"127.0.0.1:{cdn.port}/media/ep{n}.mp3"

    def serve(req: BaseHTTPRequestHandler) -> None:
        req.send_response(302)
        req.send_header("Location", f"http://{target}")
        req.send_header("Content-Length", "0")
        req.end_headers()

    return tracker.route(f"/track/x9/{target}", serve)


def _add_chapters(path: Path, chapters: list[tuple[int, str]]) -> None:
    tags = ID3(path)
    ids = [f"c{n}" for n in range(len(chapters))]
    for n, (start, title) in enumerate(chapters):
        tags.add(CHAP(element_id=ids[n], start_time=start, end_time=start + 500,
                      sub_frames=[TIT2(text=[title])]))  # fmt: skip
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                  child_element_ids=ids, sub_frames=[]))  # fmt: skip
    tags.save(path)


def _audio_hits(server: LoopbackServer) -> dict[str, int]:
    return {p: n for p, n in server.hits.items() if p.endswith(".mp3")}


def _filed(env: Env) -> list[str]:
    return sorted(
        p.relative_to(env.library).as_posix() for p in env.library_files() if p.suffix == ".mp3"
    )


def _episode_path(n: int) -> str:
    return f"Podcasts/{SHOW}/2025-03-{n:02d} - Episode {n}_ {NAMES[n]}.mp3"


def _sync_and_wait(env: Env, daemon: Daemon, feed: Feed, what: str) -> None:
    before = len(feed.answers)
    env.cli("sync", "tales", check=True)
    wait_for(lambda: len(feed.answers) > before, 30, daemon, what=f"{what}: poll")


def test_a_followed_podcast_is_named_tagged_trimmed_and_never_fetched_twice(
    tmp_path: Path,
) -> None:
    with (
        LoopbackServer() as media,
        LoopbackServer() as cdn,
        LoopbackServer() as tracker,
        LoopbackServer() as musicbrainz,  # on, but no episode is a MusicBrainz recording
    ):
        identity = {"enabled": True, "api_url": musicbrainz.url("/ws/2")}
        env = web_env(Env(tmp_path / "world", audio={"normalize": "loudness"},
                          musicbrainz=identity))  # fmt: skip
        for n in NAMES:  # junk in the files' own tags: the feed must win
            path = make_audio(tmp_path / f"ep{n}.mp3", seconds=2.0, freq=200 + 60 * n,
                              tags={"title": f"ep{n}", "artist": "Encoder"})  # fmt: skip
            if n == 5:  # chapters in the file itself, and none in the feed
                _add_chapters(path, [(0, "Hello"), (1500, "Goodbye")])
            media.add(f"/media/ep{n}.mp3", path.read_bytes(), "audio/mpeg")
            cdn.add(f"/media/ep{n}.mp3", path.read_bytes(), "audio/mpeg")
        media.add("/cover.jpg", make_image(tmp_path / "cover.jpg", "blue"), "image/jpeg")
        media.add("/chapters.json", json.dumps(CHAPTERS).encode(), "application/json+chapters")
        feed = Feed(media)
        feed.publish({n: media.url(f"/media/ep{n}.mp3") for n in (1, 2)})

        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.cli("follow", media.url("/feed.xml"), "--name", "tales", "--keep-last", "2",
                    "--normalize", "off", check=True)  # fmt: skip
            wait_for(lambda: env.counts().get("done") == 2, 60, daemon, what="first poll done")
            assert _filed(env) == [_episode_path(1), _episode_path(2)]

            for newest in (3, 4):  # a new episode each poll; the oldest kept one goes
                feed.publish({n: media.url(f"/media/ep{n}.mp3") for n in range(1, newest + 1)})
                _sync_and_wait(env, daemon, feed, f"episode {newest}")
                wanted = [_episode_path(newest - 1), _episode_path(newest)]
                wait_for(lambda w=wanted: _filed(env) == w, 60, daemon,  # type: ignore[misc]
                         what=f"episodes {newest - 1} and {newest} kept")  # fmt: skip

            _sync_and_wait(env, daemon, feed, "unchanged")
            assert feed.answers[-1] == 304  # one conditional request, nothing read again
            hits = _audio_hits(media)

            # The host moves its files to another CDN behind a tracking redirect.
            moved = {n: _tracked(tracker, cdn, n) for n in range(1, 6)}
            feed.publish({n: url for n, url in moved.items() if n < 5})
            _sync_and_wait(env, daemon, feed, "moved")
            feed.publish(moved)
            _sync_and_wait(env, daemon, feed, "episode 5")
            wanted = [_episode_path(4), _episode_path(5)]
            wait_for(lambda: _filed(env) == wanted, 60, daemon, what="episode 5 through the CDN")
            playlist = env.library / "Playlists" / "tales.m3u8"
            wait_for(lambda: "Episode 5" in playlist.read_text(encoding="utf-8"), 15, daemon,
                     what="playlist lists episode 5")  # fmt: skip
            # The dashboard's rows (GET /api/v1/tracks) name each episode.
            url, token = web_url(env, daemon), env.cli("web", "token", check=True).stdout.strip()
            page = httpx.get(f"{url}/api/v1/tracks", params={"limit": "50"},
                             headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
            rows = {(r["artist"], r["title"], r["album"]) for r in page["items"]}
            assert rows == {(AUTHOR, f"Episode {n}: {NAMES[n]}", SHOW) for n in NAMES}
            log = daemon.output()
            daemon.stop()

        assert _audio_hits(media) == hits  # nothing fetched again from the old host
        assert musicbrainz.hits == {}
        # Only the new episode came through the redirect and the new CDN.
        assert set(_audio_hits(cdn)) == {"/media/ep5.mp3"}
        assert set(_audio_hits(tracker)) == {f"/track/x9/127.0.0.1:{cdn.port}/media/ep5.mp3"}
        assert env.counts().get("done") == 5  # five episodes known, each done once

    text = playlist.read_text(encoding="utf-8")
    assert f"{AUTHOR} – Episode 4: Chapters" in text and f"{AUTHOR} – Episode 5: Moved" in text
    assert text.count("#EXTINF") == 2 and "ep4" not in text.lower().replace("episode 4", "")

    tags = ID3(env.library / _episode_path(4))
    assert str(tags["TIT2"]) == "Episode 4: Chapters"
    assert str(tags["TALB"]) == SHOW
    assert str(tags["TPE1"]) == AUTHOR and str(tags["TPE2"]) == AUTHOR
    assert str(tags["TDRC"]) == "2025-03-04"
    assert str(tags["TRCK"]) == "4" and str(tags["TPOS"]) == "2"
    assert str(tags["TCON"]) == "Podcast"
    assert [str(f) for f in tags.getall("COMM") if f.desc == ""] == ["All about Chapters."]
    assert tags.getall("APIC") and tags.getall("APIC")[0].mime == "image/jpeg"
    chapters = sorted((f.start_time, str(f.sub_frames["TIT2"])) for f in tags.getall("CHAP"))
    assert chapters == [(0, "Cold open"), (1000, "The story")]
    assert [str(t) for t in tags.getall("CTOC")[0].sub_frames.getall("TIT2")] == ["Chapters"]
    assert "REPLAYGAIN_TRACK_GAIN" in "".join(tags.keys())  # normalize: off, per follow
    five = ID3(env.library / _episode_path(5))
    assert sorted((f.start_time, str(f.sub_frames["TIT2"])) for f in five.getall("CHAP")) == [
        (0, "Hello"),
        (1500, "Goodbye"),
    ]

    tracks = json.loads(env.cli("tracks", "--json", check=True).stdout)
    titles = {t["title"] for t in tracks}
    assert titles == {f"Episode {n}: {NAMES[n]}" for n in NAMES}
    assert "Unknown Artist" not in log
    assert "Episode 5: Moved" in log


def test_after_a_restart_an_unchanged_feed_is_one_304(tmp_path: Path) -> None:
    """The validators and the feed are kept in the state dir: the restarted daemon's first
    poll is conditional too, and downloads nothing."""
    with LoopbackServer() as media:
        env = Env(tmp_path / "world")
        for n in (1, 2):
            path = make_audio(tmp_path / f"ep{n}.mp3", seconds=1.0, freq=200 + 60 * n)
            media.add(f"/media/ep{n}.mp3", path.read_bytes(), "audio/mpeg")
        media.add("/cover.jpg", make_image(tmp_path / "cover.jpg", "blue"), "image/jpeg")
        feed = Feed(media)
        feed.publish({n: media.url(f"/media/ep{n}.mp3") for n in (1, 2)})
        with Daemon(env) as daemon:
            daemon.wait_ready()
            env.cli("follow", media.url("/feed.xml"), "--name", "tales", check=True)
            wait_for(lambda: env.counts().get("done") == 2, 60, daemon, what="first poll done")
            daemon.stop()
        assert feed.answers == [200]
        hits = _audio_hits(media)

        with Daemon(env) as daemon:
            daemon.wait_ready()
            _sync_and_wait(env, daemon, feed, "after the restart")
            daemon.stop()

        assert feed.answers == [200, 304]
        assert _audio_hits(media) == hits and env.counts().get("done") == 2


def test_a_feed_link_dropped_in_the_inbox_files_its_newest_episodes_by_name(
    tmp_path: Path,
) -> None:
    env = Env(tmp_path / "world")
    with LoopbackServer() as media:
        audio = make_audio(tmp_path / "ep.mp3", seconds=1.0, tags={"title": "ep"}).read_bytes()
        for n in range(1, 13):
            media.add(f"/media/{n}.mp3", audio, "audio/mpeg")
        items = "\n".join(
            ITEM.format(n=n, name=f"Part {n}", guid=f"<guid>drop-{n}</guid>", day=n, chapters="",
                        url=media.url(f"/media/{n}.mp3"))
            for n in range(12, 0, -1)
        )  # fmt: skip
        rss = RSS.format(show=SHOW, author=AUTHOR, cover=media.url("/none.jpg"), items=items)
        media.add("/feed.xml", rss.encode(), "application/rss+xml")
        env.drop("feed.txt", [media.url("/feed.xml")])
        result = env.cli("sync", "--once", timeout=180)
        assert result.returncode == 0, result.stderr
        assert set(_audio_hits(media)) == {f"/media/{n}.mp3" for n in range(3, 13)}
    assert _filed(env) == sorted(
        f"Podcasts/{SHOW}/2025-03-{n:02d} - Episode {n}_ Part {n}.mp3" for n in range(3, 13)
    )
    assert env.status()["overall"]["done"] == 10
    tracks = json.loads(env.cli("tracks", "--json", check=True).stdout)
    episodes = {t["title"]: t["artist"] for t in tracks if t["key"].startswith("podcast:")}
    assert episodes == {f"Episode {n}: Part {n}": AUTHOR for n in range(3, 13)}
    report = (env.inbox / "processed" / "feed.txt.report.txt").read_text(encoding="utf-8")
    assert "list of 10 tracks → 10 done" in report
