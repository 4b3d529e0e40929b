"""Budget turns in the ledger (SQLite and PostgreSQL): at most max_concurrent at once, starts
min_interval apart, expired turns free, renewed turns kept."""

from __future__ import annotations

import threading
import time

from spotsyncd.ledger import Ledger


def _take(ledger: Ledger, holder: str, *, most: int = 2, interval: float = 0.0,
          lease: float = 60.0) -> int | None:  # fmt: skip
    answer = ledger.take_turn("youtube", holder, max_concurrent=most, min_interval_s=interval,
                              lease_s=lease)  # fmt: skip
    assert (answer.turn_id is None) == (answer.wait_s > 0)
    return answer.turn_id


def test_no_more_than_max_concurrent_even_when_racing(ledger: Ledger) -> None:
    granted: list[int] = []
    lock = threading.Lock()

    def race(name: str) -> None:
        turn = _take(ledger, name, most=3)
        if turn is not None:
            with lock:
                granted.append(turn)

    threads = [threading.Thread(target=race, args=(f"h{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 3
    assert ledger.turns_held() == {"youtube": 3}
    ledger.end_turn(granted[0])
    assert _take(ledger, "late", most=3) is not None


def test_starts_wait_for_min_interval(ledger: Ledger) -> None:
    assert _take(ledger, "a", most=0, interval=0.5) is not None
    answer = ledger.take_turn("youtube", "b", max_concurrent=0, min_interval_s=0.5, lease_s=60)
    assert answer.turn_id is None and 0.3 < answer.wait_s <= 0.5
    time.sleep(answer.wait_s + 0.05)
    assert _take(ledger, "b", most=0, interval=0.5) is not None
    # Another source keeps its own clock.
    other = ledger.take_turn("spotify", "c", max_concurrent=0, min_interval_s=0.5, lease_s=60)
    assert other.turn_id is not None


def test_an_expired_turn_is_free_and_a_renewed_one_is_not(ledger: Ledger) -> None:
    dead = _take(ledger, "dead", most=2, lease=0.3)
    kept = _take(ledger, "kept", most=2, lease=0.3)
    assert dead is not None and kept is not None
    time.sleep(0.2)
    ledger.renew_turns([kept], 60)
    time.sleep(0.2)
    assert _take(ledger, "new", most=2) is not None  # dead's turn lapsed
    assert _take(ledger, "newer", most=2) is None  # kept's did not


def test_a_restarted_daemon_frees_its_dead_predecessors_turns(ledger: Ledger) -> None:
    assert _take(ledger, "daemon:box:11", most=2) is not None
    assert _take(ledger, "box_1:12:ab", most=2) is not None  # a worker: not ours to free
    assert ledger.drop_turns("daemon:box:") == 1
    assert ledger.drop_turns("box%") == 0  # a name is matched as written, not as a pattern
    assert ledger.turns_held() == {"youtube": 1}
