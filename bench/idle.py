"""Measure what an idle daemon costs: ``python -m bench.idle [--quick]``.

Starts ``spotsyncd run`` as a process with ``--follows`` podcast feeds in its config (loopback
RSS, polled every 6 h; every feed lists the same one episode, so the first round downloads one
track and links it to every follow). Once the first poll round is over, the episode is filed and
nothing has been requested for a while, reads the daemon's CPU time (``/proc/PID/stat``: user +
system, its children included) before and after ``--seconds`` of idling. Reports it as % of one
core (target <= 0.2 %), the daemon's RSS, the feed requests of the first round (one per follow),
the requests made while idle (none), and the requests per follow of an unchanged poll round
(``spotsyncd sync``: one).

``--quick``: 5 follows, 10 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import bench_env, cpu_seconds, rss_mb, silence_resets
from bench.processing import make_music
from spotsyncd.ledger import Ledger
from spotsyncd.system.tools import find_ffmpeg
from tests.e2e.harness import Daemon, wait_for
from tests.fakes.http_server import LoopbackServer

CPU_TARGET_PCT = 0.2
_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Feed {n}</title><link>http://127.0.0.1/</link>
<description>bench feed</description>
<item><title>Episode</title><guid isPermaLink="false">episode-1</guid>
<enclosure url="{audio}" length="1000" type="audio/mpeg"/></item>
</channel></rss>"""


def _feed_hits(server: LoopbackServer) -> int:
    with server.lock:
        return sum(n for path, n in server.hits.items() if path.startswith("/feed"))


def _all_hits(server: LoopbackServer) -> int:
    with server.lock:
        return sum(server.hits.values())


def _quiet_for(seconds: float, count: Callable[[], int]) -> Callable[[], bool]:
    """A predicate: true once ``count()`` has not changed for ``seconds``."""
    last = {"value": count(), "since": time.monotonic()}

    def quiet() -> bool:
        value = count()
        if value != last["value"]:
            last.update(value=value, since=time.monotonic())
        return time.monotonic() - last["since"] >= seconds

    return quiet


def run(follows: int, seconds: float, settle_s: float, folder: Path) -> dict[str, Any]:
    audio = make_music(find_ffmpeg().path, folder / "episode.mp3", 2.0).read_bytes()
    with silence_resets(LoopbackServer()) as server:
        audio_url = server.add("/episode.mp3", audio, "audio/mpeg")
        feeds = [
            {
                "url": server.add(
                    f"/feed{n}.xml",
                    _RSS.format(n=n, audio=audio_url).encode(),
                    "application/rss+xml",
                ),
                "every": "6h",
                "name": f"feed{n}",
            }
            for n in range(follows)
        ]
        env = bench_env(folder / "world", download={"workers": 2}, follows=feeds)
        with Daemon(env) as daemon:
            daemon.wait_ready()
            started = time.monotonic()
            # The first polls come a few seconds after start, one a second (staggered).
            wait_for(
                lambda: _feed_hits(server) >= follows, 30 + 2 * follows, daemon, what="first round"
            )
            first_round_s = time.monotonic() - started
            first_round = _feed_hits(server)
            ledger = Ledger(env.state / "ledger.sqlite3")
            try:
                wait_for(lambda: ledger.counts()["done"] >= 1, 60, daemon, what="episode filed")
                counts = ledger.counts()
            finally:
                ledger.close()
            wait_for(_quiet_for(settle_s, lambda: _all_hits(server)), 60, daemon, what="quiet")
            time.sleep(settle_s)  # playlists, reports, the library check: let them finish

            pid = daemon.proc.pid
            hits_before = _all_hits(server)
            cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
            time.sleep(seconds)
            cpu_after, wall_after = cpu_seconds(pid), time.monotonic()
            idle_requests = _all_hits(server) - hits_before
            memory = rss_mb(pid)

            # An unchanged round: every follow polled once more, nothing downloaded.
            feed_before, audio_before = _feed_hits(server), server.hits["/episode.mp3"]
            env.cli("sync", check=True)
            wait_for(
                lambda: _feed_hits(server) >= feed_before + follows, 30, daemon, what="sync round"
            )
            time.sleep(min(2.0, settle_s))  # a second request per follow would come now
            unchanged_requests = _feed_hits(server) - feed_before
            unchanged_audio = server.hits["/episode.mp3"] - audio_before
            daemon.stop()
    cpu_pct = (cpu_after - cpu_before) / (wall_after - wall_before) * 100
    return {
        "follows": follows,
        "seconds": round(wall_after - wall_before, 2),
        "cpu_s": round(cpu_after - cpu_before, 3),
        "cpu_pct": round(cpu_pct, 3),
        "cpu_target_pct": CPU_TARGET_PCT,
        "ratio": round(cpu_pct / CPU_TARGET_PCT, 3),
        **memory,
        "first_round_requests": first_round,
        "first_round_s": round(first_round_s, 1),
        "jobs_after_first_round": counts,
        "idle_requests": idle_requests,
        "requests_per_unchanged_poll": round(unchanged_requests / follows, 2),
        "downloads_in_unchanged_round": unchanged_audio,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.idle",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="5 follows, 10 s")
    parser.add_argument("--follows", type=int, default=None, help="followed feeds (50; quick: 5)")
    parser.add_argument("--seconds", type=float, default=None, help="idle window (60; quick: 10)")
    args = parser.parse_args(argv)
    follows = args.follows or (5 if args.quick else 50)
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    settle_s = 1.0 if args.quick else 5.0
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        result = run(follows, seconds, settle_s, Path(tmp))
    print(
        f"idle daemon, {follows} follows (every 6 h), empty queue, {result['seconds']:.0f} s:\n"
        f"  CPU {result['cpu_s']:.3f} s = {result['cpu_pct']:.3f} % of one core "
        f"({result['ratio']:.2f} × the {CPU_TARGET_PCT} % target)\n"
        f"  RSS {result['rss_mb']} MB (peak {result['peak_rss_mb']} MB)\n"
        f"  first poll round: {result['first_round_requests']} feed requests for {follows} "
        f"follows, done {result['first_round_s']} s after READY\n"
        f"  requests while idle: {result['idle_requests']}\n"
        f"  unchanged round (spotsyncd sync): {result['requests_per_unchanged_poll']} requests "
        f"per follow, {result['downloads_in_unchanged_round']} downloads"
    )
    return result


if __name__ == "__main__":
    main()
