"""Per-source budgets: turns under max_concurrent and min_interval across threads and processes,
leases that lapse when their holder dies, and the MusicBrainz proof of issue 24: the daemon and
two workers (three processes, one ledger) never ask a loopback stand-in more than once a second.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from spotsyncd.core.errors import CancelledError
from spotsyncd.engine.resilience.budgets import Limit, SourceBudgets
from spotsyncd.ledger import Ledger
from tests.fakes.http_server import LoopbackServer


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    opened = Ledger(tmp_path / "ledger.sqlite3")
    yield opened
    opened.close()


def _limits(**by_source: Limit) -> object:
    return lambda source: by_source.get(source, Limit())


def test_no_more_turns_at_once_than_max_concurrent(ledger: Ledger) -> None:
    one = SourceBudgets(ledger, _limits(youtube=Limit(max_concurrent=2)), "one")  # type: ignore[arg-type]
    two = SourceBudgets(ledger, _limits(youtube=Limit(max_concurrent=2)), "two")  # type: ignore[arg-type]
    lock = threading.Lock()
    now = [0]
    most = [0]

    def transfer(budgets: SourceBudgets) -> None:
        with budgets.turn("youtube"):
            with lock:
                now[0] += 1
                most[0] = max(most[0], now[0])
            time.sleep(0.05)
            with lock:
                now[0] -= 1

    threads = [threading.Thread(target=transfer, args=(b,)) for b in (one, two) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most[0] == 2
    assert ledger.turns_held() == {}


def test_starts_keep_min_interval_apart(ledger: Ledger) -> None:
    budgets = SourceBudgets(ledger, _limits(musicbrainz=Limit(1, 0.2)), "me")  # type: ignore[arg-type]
    starts = []
    for _ in range(5):
        with budgets.turn("musicbrainz"):
            starts.append(time.monotonic())
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    # The interval is kept by the clock read in the ledger, a moment (more on a loaded machine)
    # before the turn returns here: one gap may look short, never the run of them.
    assert min(gaps) >= 0.1, gaps
    assert starts[-1] - starts[0] >= 4 * 0.2 - 0.1, gaps


def test_a_dead_holders_turn_lapses(ledger: Ledger) -> None:
    # A holder that died mid-transfer never ends its turn (nor renews it).
    answer = ledger.take_turn("youtube", "dead", max_concurrent=1, min_interval_s=0, lease_s=0.5)
    assert answer.turn_id is not None
    budgets = SourceBudgets(ledger, _limits(youtube=Limit(max_concurrent=1)), "alive")  # type: ignore[arg-type]
    started = time.monotonic()
    with budgets.turn("youtube"):
        waited = time.monotonic() - started
    assert 0.3 <= waited < 5, waited


def test_a_long_transfer_keeps_its_turn(ledger: Ledger) -> None:
    holder = SourceBudgets(ledger, _limits(youtube=Limit(max_concurrent=1)), "long", lease_s=0.3)  # type: ignore[arg-type]
    with holder.turn("youtube"):
        time.sleep(0.8)  # longer than its lease: renewed meanwhile
        answer = ledger.take_turn("youtube", "other", max_concurrent=1, min_interval_s=0,
                                  lease_s=1)  # fmt: skip
        assert answer.turn_id is None


def test_a_source_without_limits_writes_nothing(ledger: Ledger) -> None:
    budgets = SourceBudgets(ledger, _limits(), "me")  # type: ignore[arg-type]
    seen: list[dict[str, int]] = []
    with budgets.turn("direct"):
        seen.append(ledger.turns_held())
    assert seen == [{}]


def test_cancel_stops_the_wait(ledger: Ledger) -> None:
    ledger.take_turn("spotify", "busy", max_concurrent=1, min_interval_s=0, lease_s=60)
    budgets = SourceBudgets(ledger, _limits(spotify=Limit(max_concurrent=1)), "me")  # type: ignore[arg-type]
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(CancelledError), budgets.turn("spotify", cancel):
        pass


# One process as the daemon or a worker builds it: budgets_for(config, ledger, holder) over the
# shared ledger, MusicBrainz at its defaults (1 at a time, 1 s apart).
CLIENT = """
import sys, urllib.request
from spotsyncd.core.config import load_config
from spotsyncd.engine.resilience.budgets import budgets_for
from spotsyncd.ledger import Ledger
url, holder, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = load_config(None, env={"SPOTSYNCD_LEDGER_URL": sys.argv[4]})
ledger = Ledger(config.ledger_target)
budgets = budgets_for(lambda: config, ledger, holder)
for _ in range(count):
    with budgets.turn("musicbrainz"):
        urllib.request.urlopen(url, timeout=10).read()
ledger.close()
"""


def test_the_daemon_and_two_workers_ask_musicbrainz_once_a_second(
    tmp_path: Path, postgres_url: str
) -> None:
    arrivals: list[float] = []
    with LoopbackServer() as server:

        def answer(req: object) -> None:
            arrivals.append(time.time())
            body = b'{"recordings": []}'
            req.send_response(200)  # type: ignore[attr-defined]
            req.send_header("Content-Length", str(len(body)))  # type: ignore[attr-defined]
            req.end_headers()  # type: ignore[attr-defined]
            req.wfile.write(body)  # type: ignore[attr-defined]

        url = server.route("/ws/2/recording", answer)
        root = Path(__file__).resolve().parents[3]
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", CLIENT, url, holder, "3", postgres_url],
                cwd=root,
                env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            )
            for holder in ("daemon", "worker-1", "worker-2")
        ]
        try:
            for process in processes:
                assert process.wait(60) == 0
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait(5)
    assert len(arrivals) == 9
    arrivals.sort()
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    # A turn starts 1 s after the last one ended, and a request arrives before its answer
    # leaves: two arrivals are never closer than 1 s, however slow a client (the stand-in's
    # handler may note an arrival a few ms late on a loaded machine).
    assert min(gaps) >= 0.97, gaps
