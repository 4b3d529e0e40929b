"""The dashboard's library and activity reads: ``python -m bench.library [--quick]``.

With 100,000 tracks in a SQLite ledger (90 % filed, in 2,000 albums by 500 artists;
``--albums 20000`` for a large library), over HTTP to Uvicorn on loopback as the daemon serves
them: ``GET /library/albums?limit=120`` (the dashboard's first page of albums, grouped; its size
in bytes too), ``/library/artists``, ``/library/tracks?sort=title&limit=100`` (a sorted page),
``/activity?limit=50`` (the event log, newest first) and ``/tracks?order=newest&limit=50``;
p50/p99 of each (answers are kept until the ledger changes: ``api/answers.py``), and the p50 of
the first request after a change (computed afresh) for albums and sorted tracks. Covers: the
first ``GET /tracks/{key}/cover`` of a file with a 1000 px cover (read from the file, scaled by
ffmpeg) against the next ones (from the cache).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import text

from bench.web import _latencies, _ms, fill_ledger
from spotsyncd.api.server import WebServer
from spotsyncd.core.config import load_config, prepare_dirs
from spotsyncd.core.models import TrackMeta
from spotsyncd.ledger import Ledger
from spotsyncd.system.webauth import load_or_create_token
from tests.fakes.filed import file_track
from tests.fakes.images import make_image

ALBUMS_P99_MS, PAGE_P99_MS, COVER_CACHED_P50_MS = 500.0, 50.0, 10.0

ROUTES = {
    "albums": "/api/v1/library/albums?limit=120",
    "artists": "/api/v1/library/artists?limit=120",
    "tracks_by_title": "/api/v1/library/tracks?sort=title&limit=100",
    "activity": "/api/v1/activity?limit=50",
    "newest": "/api/v1/tracks?order=newest&limit=50",
}


def _album_count(client: httpx.Client) -> int:
    """Every album, a page of 500 at a time (a server that does not page answers all at once)."""
    count, offset = 0, 0
    while True:
        page = client.get(f"/api/v1/library/albums?limit=500&offset={offset}").json()
        count += len(page["items"])
        if page.get("next_offset") is None:
            return count
        offset = page["next_offset"]


def run(folder: Path, tracks: int, requests: int, albums: int = 2000) -> dict[str, Any]:
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump({"library_dir": str(folder / "library"),
                                           "state_dir": str(folder / "state"),
                                           "web": {"listen": "127.0.0.1:0"}}))  # fmt: skip
    config = load_config(config_path, env={})
    prepare_dirs(config)
    ledger = Ledger(config.ledger_path)
    fill_ledger(ledger, tracks)
    with ledger.engine.begin() as conn:
        conn.execute(text("UPDATE tracks SET album='Album ' || (id % :albums) "
                          "WHERE path IS NOT NULL"), {"albums": albums})  # fmt: skip
    cover = make_image(folder / "cover.jpg", "red", size=1000)
    meta = TrackMeta(title="Covered", artists=("Bench",), album="Bench")
    row = file_track(ledger, config.library_dir, 10**7, "Bench/covered.mp3", meta, seconds=1.0,
                     cover=cover)  # fmt: skip
    server = WebServer(config, ledger, nudge=lambda: None)
    assert server.start().running and server.wait_ready(30)
    auth = {"Authorization": f"Bearer {load_or_create_token(config.state_dir)}"}
    result: dict[str, Any] = {"tracks": tracks, "requests": requests}
    try:
        with httpx.Client(base_url=str(server.state.url), headers=auth, timeout=60) as client:
            for name, path in ROUTES.items():
                samples = _latencies(client, path, requests)
                result[f"{name}_p50_ms"], result[f"{name}_p99_ms"] = (
                    _ms(samples, 50),
                    _ms(samples, 99),
                )
            result["albums"] = _album_count(client)
            result["albums_page_bytes"] = len(client.get(ROUTES["albums"]).content)
            for name in ("albums", "tracks_by_title"):  # after a change: computed afresh
                fresh = []
                for _ in range(max(3, requests // 10)):
                    ledger.event("info", "bench", "a change")
                    fresh += _latencies(client, ROUTES[name], 1, warm=False)
                result[f"{name}_fresh_p50_ms"] = _ms(fresh, 50)
            url = client.get(f"/api/v1/tracks/{row.key}").json()["cover_url"]
            started = time.perf_counter()
            first = client.get(url)
            result["cover_first_ms"] = round((time.perf_counter() - started) * 1000, 1)
            assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
            result["cover_bytes"] = len(first.content)
            result["cover_source_bytes"] = len(cover)
            cached = _latencies(client, url, requests, warm=False)
            result["cover_cached_p50_ms"] = _ms(cached, 50)
    finally:
        server.stop()
        ledger.close()
    result.update(albums_target_ms=ALBUMS_P99_MS, page_target_ms=PAGE_P99_MS,
                  cover_cached_target_ms=COVER_CACHED_P50_MS)  # fmt: skip
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.library",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="2,000 tracks, 10 requests")
    parser.add_argument("--tracks", type=int, help="tracks in the ledger (default 100,000)")
    parser.add_argument("--albums", type=int, default=2000,
                        help="album names the tracks spread over (default 2,000)")  # fmt: skip
    args = parser.parse_args(argv)
    tracks = args.tracks or (2000 if args.quick else 100_000)
    requests = 10 if args.quick else 100
    with tempfile.TemporaryDirectory(prefix="bench-library-") as folder:
        result = run(Path(folder), tracks, requests, args.albums)
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main()
