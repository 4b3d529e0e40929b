"""Following a Spotify artist for real: the poller, the ledger and the Spotify source against the
loopback Spotify stand-in (2026 shapes), and the pipeline expanding a new release."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spotsyncd.core.config import SpotifyConfig, load_config
from spotsyncd.core.errors import PermanentError
from spotsyncd.core.models import JobState, Listing
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.follows.service import follow_options
from spotsyncd.follows.sync import FollowPoller
from spotsyncd.intake.links import parse_link
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.follows.registry import FollowRow
from spotsyncd.sources.spotify.source import SpotifySource
from tests.fakes.spotify_api import FakeSpotify

ARTIST = "The Loopbacks"


class NoDownloads:
    """The pipeline must not download anything in these tests."""

    def download(self, url: str, dest_dir: Path, **kwargs: Any) -> Any:
        raise PermanentError(f"unexpected download of {url}")

    def list(self, url: str) -> Listing | None:
        return None


class World:
    def __init__(self, fake: FakeSpotify, tmp_path: Path) -> None:
        self.fake = fake
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"library_dir: {tmp_path / 'lib'}\nstate_dir: {tmp_path / 'state'}\n")
        self.config = load_config(cfg, env={})
        self.config.library_dir.mkdir(parents=True)
        self.ledger = Ledger(tmp_path / "ledger.sqlite3")
        spotify_cfg = SpotifyConfig(
            client_id=fake.client_id, client_secret=fake.client_secret, api_url=fake.api_url,
            token_url=fake.token_url, embed_url=fake.embed_url,
        )  # fmt: skip
        self.spotify = SpotifySource(spotify_cfg, tmp_path / "token.json")
        self.poller = FollowPoller(
            self.ledger, spotify=self.spotify, lister=NoDownloads(), wake=lambda: None,
            library_dir=self.config.library_dir, playlists=PlaylistWriter(self.config.library_dir),
        )  # fmt: skip
        adapters = Adapters(downloader=NoDownloads(), processor=None, tagger=None,  # type: ignore[arg-type]
                            spotify=self.spotify)  # fmt: skip
        self.pipeline = Pipeline(self.config, self.ledger, adapters, Circuits())
        self.albums_path = f"/v1/artists/{fake.artist_id(ARTIST)}/albums"

    def follow(self, **options: Any) -> FollowRow:
        link = parse_link(f"https://open.spotify.com/artist/{self.fake.artist_id(ARTIST)}")
        options = follow_options(link, options)
        return self.ledger.add_follow(
            link, name="loopbacks", interval_s=3600, options=options, origin="cli"
        )

    def poll(self) -> Any:
        row = self.ledger.follow("loopbacks")
        assert row is not None
        return self.poller.poll(row)

    def pending(self) -> list[str]:
        return sorted(t.key for t in self.ledger.tracks(state=JobState.PENDING))

    def run_pending_collections(self) -> None:
        """What a worker does with the queued releases: list each into its tracks."""
        tracks = []
        while (job := self.ledger.claim_next_job("test")) is not None:
            if job.track.key.startswith("spotify:album:"):
                self.pipeline.run(job, threading.Event())
            else:
                tracks.append(job)
        for job in tracks:  # back to pending, as they were
            self.ledger.defer_job(job.job_id, job.track.id, 0.0, "not in this test")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FakeSpotify() as fake:
        fake.add_release(ARTIST, "alb0000000000000000001", "First", ["Opening", "Closing"],
                         release_date="2020-05-01")  # fmt: skip
        fake.add_release(ARTIST, "alb0000000000000000002", "Second", ["Again"],
                         release_date="2022-05-01")  # fmt: skip
        w = World(fake, tmp_path)
        yield w
        w.spotify.close()
        w.ledger.close()


def test_a_single_released_between_two_polls_is_exactly_what_is_fetched(world: World) -> None:
    world.follow()
    first = world.poll()
    assert first.status == "changed"
    assert world.pending() == ["spotify:album:alb0000000000000000001",
                               "spotify:album:alb0000000000000000002"]  # fmt: skip
    world.run_pending_collections()
    assert len(world.pending()) == 3  # the two albums' tracks
    for track in world.ledger.tracks(state=JobState.PENDING):
        assert track.options.get("artist") == f"spotify:artist:{world.fake.artist_id(ARTIST)}"
    while (job := world.ledger.claim_next_job("test")) is not None:  # pretend they were fetched
        world.ledger.finish_job(job.job_id, job.track.id, path=f"{job.track.key}.mp3",
                                size_bytes=1, duration_s=180, meta=job.track.meta, info=None,
                                audio_settings="mp3", loudness_lufs=None, download_s=0,
                                process_s=0, message="ok")  # fmt: skip

    hits = world.fake.hits[world.albums_path]
    assert world.poll().status == "unchanged"
    assert world.fake.hits[world.albums_path] == hits + 1  # one request for an unchanged poll

    new_ids = world.fake.add_release(ARTIST, "sgl0000000000000000003", "Brand New", ["Fresh"],
                                     group="single", release_date="2026-11-01")  # fmt: skip
    third = world.poll()
    assert third.diff is not None and third.diff.new == ("spotify:album:sgl0000000000000000003",)
    world.run_pending_collections()
    assert world.pending() == [f"spotify:track:{new_ids[0]}"]


def test_new_only_records_what_exists_and_fetches_only_what_comes(world: World) -> None:
    world.follow(new_only=True)
    world.poll()
    assert world.pending() == []
    old = world.ledger.track("spotify:album:alb0000000000000000001")
    assert old is not None and old.state == JobState.SKIPPED and "--new-only" in (old.error or "")
    world.fake.add_release(ARTIST, "sgl0000000000000000003", "Brand New", ["Fresh"],
                           group="single", release_date="2026-11-01")  # fmt: skip
    world.poll()
    assert world.pending() == ["spotify:album:sgl0000000000000000003"]


@pytest.mark.e2e
def test_the_same_recording_on_album_and_single_is_filed_once(world: World) -> None:
    album = world.fake.add_release(ARTIST, "alb0000000000000000009", "Hits", ["Hook", "Verse"],
                                   release_date="2024-01-01")  # fmt: skip
    single = world.fake.add_release(ARTIST, "sgl0000000000000000009", "Hook", ["Hook"],
                                    group="single", release_date="2023-11-01")  # fmt: skip
    # Spotify's single and album tracks have different IDs but the same ISRC.
    world.fake.tracks[single[0]]["external_ids"] = world.fake.tracks[album[0]]["external_ids"]
    world.follow()
    world.poll()
    world.run_pending_collections()
    album_track = world.ledger.track(f"spotify:track:{album[0]}")
    assert album_track is not None
    job = world.ledger.claim_next_job("test")
    while job is not None and job.track.key != album_track.key:
        world.ledger.defer_job(job.job_id, job.track.id, 1e12, "later")
        job = world.ledger.claim_next_job("test")
    assert job is not None
    meta = world.spotify.track(album[0])  # what the pipeline files: with the ISRC
    world.ledger.finish_job(job.job_id, job.track.id, path="The Loopbacks/Hits/01 - Hook.mp3",
                            size_bytes=1, duration_s=180, meta=meta, info=None,
                            audio_settings="mp3", loudness_lufs=None, download_s=0, process_s=0,
                            message="ok")  # fmt: skip
    single_row = world.ledger.track(f"spotify:track:{single[0]}")
    assert single_row is not None and single_row.options.get("artist")
    claimed = world.ledger.claim_next_job("test", now=2e12)
    while claimed is not None and claimed.track.key != single_row.key:
        claimed = world.ledger.claim_next_job("test", now=2e12)
    assert claimed is not None
    result = world.pipeline.run(claimed, threading.Event())  # NoDownloads: would raise
    assert result.kind == "duplicate" and result.same_as is not None
    assert result.same_as.key == album_track.key
    world.ledger.finish_duplicate(claimed.job_id, claimed.track.id, of=result.same_as,
                                  meta=result.meta, where="on 'Hook' as the single")  # fmt: skip
    done = world.ledger.track(single_row.key)
    assert done is not None and done.state == JobState.DONE and done.path is None
    mine = [e["message"] for e in world.ledger.events_for(done.id)]
    assert any(f"same recording as {album_track.key}" in m for m in mine)
    theirs = [e["message"] for e in world.ledger.events_for(album_track.id)]
    assert any("also on 'Hook' as the single" in m for m in theirs)


def test_a_youtube_music_artist_gaining_a_single_fetches_exactly_it(tmp_path: Path) -> None:
    import requests

    from spotsyncd.sources.ytmusic.catalog import YtMusicCatalog
    from tests.fakes.ytmusic_pages import Release, Track, YtMusicStandIn
    from tests.sources.ytmusic.test_catalog import CHANNEL, loopbacks

    stand_in = YtMusicStandIn(loopbacks())
    session = requests.Session()
    session.mount("https://", stand_in)
    music = YtMusicCatalog(session)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        poller = FollowPoller(
            ledger, spotify=None, lister=NoDownloads(), youtube_music=music, wake=lambda: None,
            library_dir=tmp_path, playlists=PlaylistWriter(tmp_path),
        )  # fmt: skip
        link = parse_link(f"https://music.youtube.com/browse/{CHANNEL}")
        ledger.add_follow(link, name="ytm", interval_s=3600, origin="cli",
                          options=follow_options(link, {"new_only": True}))  # fmt: skip

        def poll() -> Any:
            row = ledger.follow("ytm")
            assert row is not None
            return poller.poll(row)

        poll()
        assert [t.key for t in ledger.tracks(state=JobState.PENDING)] == []  # --new-only
        calls = sum(stand_in.calls.values())
        assert poll().status == "unchanged"
        assert sum(stand_in.calls.values()) == calls + 1
        stand_in.artists[CHANNEL].releases.insert(
            0,
            Release(
                "MPREb_sgl002", "Brand New", "Single", "2026", [Track("vid00000009", "New", 160)]
            ),  # fmt: skip
        )
        outcome = poll()
        assert outcome.diff is not None and outcome.diff.new == ("youtube:album:MPREb_sgl002",)
        assert [t.key for t in ledger.tracks(state=JobState.PENDING)] == [
            "youtube:album:MPREb_sgl002"
        ]
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"library_dir: {tmp_path / 'lib'}\nstate_dir: {tmp_path / 'state'}\n")
        adapters = Adapters(downloader=NoDownloads(), processor=None, tagger=None,  # type: ignore[arg-type]
                            youtube_music=music)  # fmt: skip
        pipeline = Pipeline(load_config(cfg, env={}), ledger, adapters, Circuits())
        job = ledger.claim_next_job("test")
        assert job is not None
        assert pipeline.run(job, threading.Event()).kind == "expanded"
        track = ledger.track("youtube:vid00000009")
        assert track is not None and track.state == JobState.PENDING
        assert (track.meta.album, track.meta.track_number, track.meta.date) == (
            "Brand New",
            1,
            "2026",
        )
        assert track.options.get("artist") == f"youtube:artist:{CHANNEL}"
    finally:
        ledger.close()
