"""find_match with a real ledger and circuits and scripted searchers: the best candidate wins,
below the threshold the track fails with its candidates kept, and a search nobody answered
raises the error that tells the worker what to do (offline check, circuit, plain retry)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from spotsyncd.core.errors import (
    BotCheckError,
    NetworkDownError,
    NoConfidentMatchError,
    TransientError,
)
from spotsyncd.core.models import Candidate, TrackInfo
from spotsyncd.engine.jobs.matcher import find_match
from spotsyncd.engine.resilience.circuits import Circuits
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
