"""find_match with a real ledger and circuits and scripted searchers: the best candidate wins,
below the threshold the track fails with its candidates kept, and a search nobody answered
raises the error that tells the worker what to do (offline check, circuit, plain retry)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from spotsyncd.core.errors import (
    BotCheckError,
    DeferredError,
    NetworkDownError,
    NoConfidentMatchError,
    TransientError,
)
from spotsyncd.core.models import Candidate, TrackInfo
from spotsyncd.engine.jobs.matcher import find_match
from spotsyncd.engine.resilience.budgets import Limit, SourceBudgets
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.guard import Guard
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger, TrackRow

WANTED = TrackInfo(title="Veridis Quo", artists=("Daft Punk",), album="Discovery", duration_s=345)
GOOD = Candidate(
    "vq0000000aa", "Veridis Quo", ("Daft Punk",), album="Discovery", duration_s=345, kind="song"
)
WRONG = Candidate("zz0000000aa", "Something Else", ("Someone",), duration_s=120)


class Scripted:
    """A searcher answering every query with ``answer`` (or raising it)."""

    def __init__(self, name: str, answer: Sequence[Candidate] | Exception) -> None:
        self.name = name
        self.answer = answer
        self.queries: list[str] = []

    def search(self, query: str, *, limit: int = 10) -> Sequence[Candidate]:
        self.queries.append(query)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Ledger, TrackRow, Circuits]]:
    ledger = Ledger(tmp_path / "ledger.db")
    ledger.add_links([parse_line("https://open.spotify.com/track/4iV5W9uYEdYUVa79Axb7Rh")])
    track = ledger.tracks()[0]
    yield ledger, track, Circuits(tmp_path / "circuits.json")
    ledger.close()


def _find(world: tuple[Ledger, TrackRow, Circuits], *searchers: Scripted) -> Candidate:
    ledger, track, circuits = world
    return find_match(
        track, WANTED, searchers=searchers, threshold=0.7, ledger=ledger, circuits=circuits
    )


def test_the_best_candidate_wins_and_later_searchers_are_not_asked(world: tuple) -> None:
    first, second = Scripted("ytmusic", [WRONG, GOOD]), Scripted("youtube", [WRONG])
    assert _find(world, first, second) == GOOD
    assert second.queries == []


def test_below_the_threshold_fails_and_keeps_the_candidates(world: tuple) -> None:
    with pytest.raises(NoConfidentMatchError, match="no confident match"):
        _find(world, Scripted("ytmusic", [WRONG]))
    ledger, track, _ = world
    assert [c["video_id"] for c in ledger.candidates(track.key)] == ["zz0000000aa"]


def test_one_searcher_unreachable_another_answers(world: tuple) -> None:
    down = Scripted("ytmusic", NetworkDownError("refused", host="music.youtube.com"))
    assert _find(world, down, Scripted("youtube", [GOOD])) == GOOD


def test_no_searcher_reachable_is_network_down_for_the_offline_check(world: tuple) -> None:
    down = Scripted("ytmusic", NetworkDownError("refused", host="music.youtube.com"))
    busy = Scripted("youtube", TransientError("HTTP 503"))
    with pytest.raises(NetworkDownError) as caught:
        _find(world, down, busy)
    assert caught.value.host == "music.youtube.com"
    assert "ytmusic: refused" in str(caught.value) and "youtube: HTTP 503" in str(caught.value)


@pytest.mark.e2e
def test_a_bot_check_during_search_is_raised_for_the_youtube_circuit(world: tuple) -> None:
    check = BotCheckError("Sign in to confirm you're not a bot")
    with pytest.raises(BotCheckError):
        _find(world, Scripted("ytmusic", TransientError("HTTP 500")), Scripted("youtube", check))


def test_ordinary_failures_everywhere_are_a_plain_transient_error(world: tuple) -> None:
    with pytest.raises(TransientError, match="no search provider answered") as caught:
        _find(world, Scripted("ytmusic", TransientError("HTTP 500")))
    assert type(caught.value) is TransientError


def test_an_open_youtube_circuit_defers_before_searching(world: tuple) -> None:
    _ledger, _track, circuits = world
    circuits.record_failure("youtube", BotCheckError("bot"))
    searcher = Scripted("ytmusic", [GOOD])
    with pytest.raises(Exception, match="youtube circuit open"):
        _find(world, searcher)
    assert searcher.queries == []


def test_a_playlist_file_s_length_and_album_pick_the_version_it_lists(tmp_path: Path) -> None:
    """A search from a playlist file carries the file's duration and album (``typed_meta``):
    of two same-named recordings, the one of that length wins; typed alone, the other does."""
    from spotsyncd.core.models import TrackMeta
    from spotsyncd.engine.jobs.matcher import info_of
    from spotsyncd.engine.jobs.metadata import typed_meta
    from spotsyncd.intake.search_lines import search_link

    edit = Candidate("edit000000a", "Strobe", ("deadmau5",), album="Singles", duration_s=214,
                     kind="song")  # fmt: skip
    full = Candidate("full000000a", "Strobe", ("deadmau5",), album="For Lack of a Better Name",
                     duration_s=637, kind="song")  # fmt: skip
    ledger = Ledger(tmp_path / "ledger.db")
    try:
        link = search_link("deadmau5 - Strobe")
        hints = TrackMeta(title="Strobe", artists=("deadmau5",),
                          album="For Lack of a Better Name", duration_s=637.0)  # fmt: skip
        ledger.add_links([link, search_link("deadmau5 - Ghosts")], metas=[hints, None])
        hinted, typed = ledger.tracks_by_ids([1, 2])
        circuits = Circuits(tmp_path / "circuits.json")
        info = info_of(typed_meta(hinted))
        assert (info.album, info.duration_s) == ("For Lack of a Better Name", 637.0)
        chosen = find_match(hinted, info, searchers=[Scripted("s", [edit, full])],
                            threshold=0.7, ledger=ledger, circuits=circuits)  # fmt: skip
        assert chosen.video_id == full.video_id
        plain = info_of(typed_meta(typed))
        assert plain.duration_s is None and plain.album is None
    finally:
        ledger.close()


def _match_as_processes(ledger: Ledger, searcher: Scripted, youtube_at_once: int) -> list[str]:
    """Every track of ``ledger`` matched at once, each by a "process" of its own (its own
    circuits and budgets over the one ledger, as the daemon and its workers have), with
    ``sources.youtube.max_concurrent: youtube_at_once``; how each ended ("matched" or the
    error's class)."""
    lock = threading.Lock()
    outcomes: list[str] = []

    def limit(source: str) -> Limit:
        return Limit(max_concurrent=youtube_at_once) if source == "youtube" else Limit()

    def match(index: int, track: TrackRow) -> None:
        circuits = Circuits(shared=ledger, holder=f"p{index}")
        guard = Guard(circuits, SourceBudgets(ledger, limit, f"p{index}"))
        try:
            find_match(track, WANTED, searchers=[searcher], threshold=0.7, ledger=ledger,
                       circuits=circuits, guard=guard.call)  # fmt: skip
            outcome = "matched"
        except (BotCheckError, DeferredError) as exc:
            outcome = type(exc).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=match, args=(i, t)) for i, t in enumerate(ledger.tracks())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcomes


class Overlapping(Scripted):
    """Answers ``GOOD`` after ``seconds``, counting the searches under way at once; with
    ``bot_check_first`` the first search meets a bot check instead."""

    def __init__(self, seconds: float, *, bot_check_first: bool = False) -> None:
        super().__init__("s", [GOOD])
        self.seconds, self.bot_check_first = seconds, bot_check_first
        self.lock = threading.Lock()
        self.now_in = self.most = self.started = 0

    def search(self, query: str, *, limit: int = 10) -> Sequence[Candidate]:
        with self.lock:
            self.started += 1
            self.now_in += 1
            self.most = max(self.most, self.now_in)
            first = self.started == 1
        time.sleep(self.seconds)
        with self.lock:
            self.now_in -= 1
        if first and self.bot_check_first:
            raise BotCheckError("Sign in to confirm you are not a bot")
        return [GOOD]


def test_a_bot_check_in_a_search_stops_every_process_before_its_turn(tmp_path: Path) -> None:
    """One search at a time (``max_concurrent: 1``): the bot check the first search meets
    opens YouTube's circuit before the turn is handed on, so nobody searches after it; every
    job is deferred (no attempt spent), the one that met it too (its next query found the
    circuit open)."""
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        ledger.add_links([parse_line(f"Daft Punk - Veridis Quo {n}") for n in range(3)])
        searcher = Overlapping(0.05, bot_check_first=True)
        assert _match_as_processes(ledger, searcher, 1) == ["DeferredError"] * 3
        assert searcher.started == 1
        assert ledger.service_circuits()["youtube"].open_until > time.time()
    finally:
        ledger.close()


def test_searches_never_overlap_beyond_max_concurrent(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        ledger.add_links([parse_line(f"Daft Punk - Veridis Quo {n}") for n in range(4)])
        searcher = Overlapping(0.3)  # long enough for two to overlap on a loaded machine
        assert _match_as_processes(ledger, searcher, 2) == ["matched"] * 4
        assert searcher.most == 2  # four matchers at once, two searches at a time
    finally:
        ledger.close()
