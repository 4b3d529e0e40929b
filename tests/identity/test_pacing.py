"""One request per interval per service from this process, whoever asks; a failing service
is left alone for a while."""

from __future__ import annotations

import threading

from spotsyncd.identity.pacing import Breaker, LocalPacer
from tests.support.clock import FakeClock


def test_turns_are_a_second_apart_across_threads() -> None:
    clock = FakeClock()
    lock = threading.Lock()
    started: list[float] = []
    pacer = LocalPacer({"musicbrainz": 1.0}, clock=clock, sleep=clock.advance)

    def ask() -> None:
        with pacer.turn("musicbrainz"), lock:
            started.append(clock())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    started.sort()
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(started, started[1:], strict=False))
    with pacer.turn("acoustid"):  # another service has its own budget
        pass


def test_a_503_slows_everyone_down() -> None:
    clock = FakeClock()
    pacer = LocalPacer({"musicbrainz": 1.0}, clock=clock, sleep=clock.advance)
    with pacer.turn("musicbrainz"):
        pass
    pacer.slow_down("musicbrainz", 5.0)
    before = clock()
    with pacer.turn("musicbrainz"):
        assert clock() - before >= 5.0


def test_a_failed_service_rests() -> None:
    clock = FakeClock()
    breaker = Breaker(60.0, clock=clock)
    breaker.failed("acoustid")
    assert breaker.open("acoustid") and not breaker.open("musicbrainz")
    clock.advance(61)
    assert not breaker.open("acoustid")


def test_the_next_request_waits_a_second_after_the_last_answer() -> None:
    clock = FakeClock()
    pacer = LocalPacer({"musicbrainz": 1.0}, clock=clock, sleep=clock.advance)
    with pacer.turn("musicbrainz"):
        clock.advance(3.0)  # a slow answer: its request may have arrived at any moment of it
    answered = clock()
    with pacer.turn("musicbrainz"):
        assert clock() - answered >= 1.0
