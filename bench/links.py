"""Measure link parsing: ``python -m bench.links [--quick]``.

Link lines are parsed on the inbox's hot path, and YouTube links are recognised by yt-dlp's own
extractors (``spotsyncd/sources/ytdlp/youtube_links.py``). Figures, CPU time per link over
``--links`` distinct links of each kind: a YouTube watch URL, a YouTube Music album, a Spotify track
and any other site; and the one-time cost of the first YouTube link in a process (importing yt-dlp's
YouTube extractors). Target: a YouTube link <= 100 µs, so 5,000 links cost under half a second.

``--quick``: 300 links of each kind.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

PER_LINK_TARGET_US = 100.0

KINDS: dict[str, Callable[[int], str]] = {
    "youtube": lambda i: f"https://www.youtube.com/watch?v={i:011d}&si=share",
    "youtube_music_album": lambda i: f"https://music.youtube.com/browse/MPREb_{i:011d}",
    "spotify": lambda i: f"https://open.spotify.com/track/{i:022d}?si=x",
    "other": lambda i: f"https://soundcloud.com/artist-{i}/track-{i}",
}

_FIRST_CALL = """
import time
from spotsyncd.intake.links import parse_link
started = time.process_time()
parse_link("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
print(time.process_time() - started)
"""


def per_link_us(kind: str, count: int) -> float:
    from spotsyncd.intake.links import parse_link

    parse_link(KINDS[kind](count + 1))  # the host's answer is cached from here on
    links = [KINDS[kind](i) for i in range(count)]
    started = time.process_time()
    for link in links:
        parse_link(link)
    return (time.process_time() - started) / count * 1e6


def first_call_s() -> float:
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.links")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--links", type=int, default=20_000)
    args = parser.parse_args(argv)
    count = 300 if args.quick else args.links
    result: dict[str, Any] = {f"{kind}_us": round(per_link_us(kind, count), 1) for kind in KINDS}
    result.update(
        links=count,
        first_youtube_link_s=round(first_call_s(), 3),
        target_us=PER_LINK_TARGET_US,
    )
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
