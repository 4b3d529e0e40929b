"""``get``'s engine half with a real ledger and in-memory adapters: the pool works on its scope
only, search lines are matched like Spotify tracks, and the tracker reads states back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spotsyncd.core.models import Candidate
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.jobs.oneshot import ForegroundRun, Tracker
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger
from tests.engine.jobs.test_worker import CopyProcessor, FakeDownloader, MemoryTagger, _config
from tests.support.waiting import wait_for


class ListSearcher:
    name = "list"

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        self.queries: list[str] = []

    def search(self, query: str, *, limit: int = 10) -> Sequence[Candidate]:
        self.queries.append(query)
        return self.candidates[:limit]


SONG = Candidate(
    "vqsong00001", "Veridis Quo", ("Daft Punk",), album="Discovery", duration_s=345, kind="song",
    year="2001", cover_url="https://covers.example/vq.jpg", url="http://127.0.0.1:9/vq.mp3",
)  # fmt: skip
VIDEO = Candidate(
    "vqvideo0001", "Daft Punk - Veridis Quo (Official Audio)", ("Daft Punk",),
    channel="Daft Punk", duration_s=345, kind="video", url="http://127.0.0.1:9/vq-video.mp3",
)  # fmt: skip
COVER = Candidate("vqcover0001", "Veridis Quo (Piano Cover)", ("Keys Forever",), kind="video",
                  url="http://127.0.0.1:9/cover.mp3")  # fmt: skip


def _run(tmp_path: Path, lines: list[str], candidates: Sequence[Candidate]) -> tuple[Any, ...]:
    config = _config(tmp_path)
    ledger = Ledger(config.ledger_path)
    searcher = ListSearcher(candidates)
    downloader = FakeDownloader()
    downloader.bot_check = False
    adapters = Adapters(downloader, CopyProcessor(), MemoryTagger(), searchers=[searcher])
    added = ledger.add_links([parse_line(line) for line in lines])
    roots = [a.track_id for a in added]
    run = ForegroundRun(config, ledger, set(roots), lambda cfg: adapters)
    tracker = Tracker(ledger, roots, config.library_dir)
    run.start()
    try:
        wait_for(lambda: tracker.poll().finished, 15, what="the foreground run to finish")
    finally:
        run.stop()
    return config, ledger, tracker.poll(), downloader, searcher


def test_a_search_line_is_tagged_from_the_song_it_found(tmp_path: Path) -> None:
    _config_, ledger, snapshot, downloader, searcher = _run(
        tmp_path, ["Daft Punk - Veridis Quo"], [COVER, VIDEO, SONG]
    )
    (item,) = snapshot.tracks
    assert item.state == "done" and item.title == "Veridis Quo"
    assert downloader.calls == ["http://127.0.0.1:9/vq.mp3"]  # the official song
    assert searcher.queries[0] == "Daft Punk - Veridis Quo"
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.meta.album == "Discovery" and track.meta.date == "2001"
    assert track.meta.cover_url == "https://covers.example/vq.jpg"
    ledger.close()


def test_a_video_match_keeps_what_the_user_typed(tmp_path: Path) -> None:
    _c, ledger, snapshot, downloader, _s = _run(tmp_path, ["veridis quo by daft punk"], [VIDEO])
    assert snapshot.tracks[0].state == "done"
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.meta.title == "veridis quo"
    assert track.meta.artists == ("daft punk",)
    ledger.close()


def test_unsure_fails_with_the_candidates_never_a_guess(tmp_path: Path) -> None:
    _c, ledger, snapshot, downloader, _s = _run(tmp_path, ["Daft Punk - Veridis Quo"], [COVER])
    (item,) = snapshot.tracks
    assert item.state == "failed" and item.error_class == "no_confident_match"
    assert downloader.calls == []
    assert [c["video_id"] for c in ledger.candidates(item.key)] == ["vqcover0001"]
    ledger.close()


def test_the_pool_takes_only_the_tracks_it_was_given(tmp_path: Path) -> None:
    config = _config(tmp_path)
    ledger = Ledger(config.ledger_path)
    ledger.add_links([parse_line("http://127.0.0.1:9/queued-before.mp3")])
    ledger.close()
    _c, ledger, snapshot, downloader, _s = _run(tmp_path, ["http://127.0.0.1:9/mine.mp3"], [])
    assert [i.state for i in snapshot.tracks] == ["done"]
    assert downloader.calls == ["http://127.0.0.1:9/mine.mp3"]
    assert ledger.counts()["pending"] == 1  # the daemon's work stays for the daemon
    ledger.close()


def test_a_done_track_is_reported_without_work(tmp_path: Path) -> None:
    _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG])
    _c, ledger, snapshot, downloader, searcher = _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG])
    assert snapshot.tracks[0].state == "done" and snapshot.tracks[0].path is not None
    assert downloader.calls == [] and searcher.queries == []
    ledger.close()
