"""``spotsyncd verify`` on a big library: peak memory and speed.

    python -m bench.verify [--files 50000] [--unknown 0.1] [--quick]

Builds a library of ``--files`` tiny real MP3 files (0.2 s each, tagged with their key) in
``artist/album/NN - title.mp3`` folders of ten, records all but the ``--unknown`` share as done
tracks in a real ledger, then runs ``spotsyncd verify --json`` as a real process (every file
decoded by ffmpeg, its tags read, the tree walked) and samples its resident memory from /proc.
Memory must not grow with the library: the figure to compare is the peak RSS at 50,000 files
against the one at a tenth of that (``--files 5000``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.common import machine, status_kb
from spotsyncd.core.models import JobState, LinkKind, Source, TrackMeta
from spotsyncd.ledger import Ledger
from spotsyncd.ledger.schema import jobs, tracks
from spotsyncd.media.tags import MutagenTagger
from tests.e2e.harness import Env, cli_command
from tests.fakes.audio import make_audio


def _meta(n: int) -> TrackMeta:
    # Fixed-width values: every file's tags have the same layout, so one tagged template serves.
    return TrackMeta(title=f"Song {n:07d}", artists=(f"Artist {n // 100:05d}",),
                     album=f"Album {n // 10 % 10}", isrc=f"QZBEN{n:07d}")  # fmt: skip


def _tagged(data: bytes, n: int) -> bytes:
    """The template's bytes with track 0's title, artist, album, ISRC and key made track n's."""
    for zero, mine in zip(_values(0), _values(n), strict=True):
        data = data.replace(zero.encode(), mine.encode())
    return data


def _values(n: int) -> tuple[str, ...]:
    meta = _meta(n)
    return (f"youtube:bench{n:07d}", meta.title or "", meta.artists[0], meta.album or "",
            meta.isrc or "")  # fmt: skip


def build_library(env: Env, files: int, unknown_share: float) -> dict[str, int]:
    """``files`` tagged MP3s; the first (1 - unknown_share) of them owned by done tracks."""
    template = make_audio(env.root / "template.mp3", seconds=0.2)
    MutagenTagger().write(template, _meta(0), key="youtube:bench0000000")
    data = template.read_bytes()
    owned = files - int(files * unknown_share)
    rows: list[dict[str, Any]] = []
    now = time.time()
    for n in range(files):
        meta = _meta(n)
        rel = f"{meta.artists[0]}/{meta.album}/{n % 10:02d} - {meta.title}.mp3"
        path = env.library / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_tagged(data, n))
        if n < owned:
            rows.append({"key": f"youtube:bench{n:07d}", "rel": rel, "meta": meta})
    env.state.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(env.state / "ledger.sqlite3")
    try:
        with ledger.engine.begin() as conn:
            for start in range(0, len(rows), 5000):
                chunk = rows[start : start + 5000]
                result = conn.execute(
                    insert(tracks).returning(tracks.c.id),
                    [
                        {
                            "key": r["key"],
                            "url": "https://www.youtube.com/watch?v=" + r["key"][8:],
                            "source": Source.YOUTUBE,
                            "kind": LinkKind.TRACK,
                            "title": r["meta"].title,
                            "artist": r["meta"].artist,
                            "album": r["meta"].album,
                            "meta_json": json.dumps(r["meta"].to_dict()),
                            "path": r["rel"],
                            "duration_s": 0.2,
                            "created_at": now,
                            "done_at": now,
                        }  # fmt: skip
                        for r in chunk
                    ],
                )
                ids = [row[0] for row in result]
                conn.execute(
                    insert(jobs),
                    [
                        {"track_id": i, "state": JobState.DONE, "attempts": 1, "updated_at": now}
                        for i in ids
                    ],  # fmt: skip
                )
    finally:
        ledger.close()
    return {"files": files, "tracks": owned, "unknown": files - owned}


def run_verify(env: Env, jobs_n: int | None) -> dict[str, Any]:
    """``spotsyncd verify --json`` as a real process; its peak RSS sampled every 50 ms."""
    out = env.root / "verify.jsonl"
    command = [*cli_command(), "verify", "--json"]
    if jobs_n:
        command += ["--jobs", str(jobs_n)]
    started = time.monotonic()
    with out.open("wb") as sink:
        proc = subprocess.Popen(command, env=env.environ(), stdout=sink, stderr=subprocess.PIPE)
        peak = {"rss_mb": 0.0}
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                hwm = status_kb(proc.pid, "VmHWM").get("VmHWM")
                if hwm is None:
                    return  # it has ended
                peak["rss_mb"] = max(peak["rss_mb"], hwm / 1024)
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, stderr = proc.communicate()
        done.set()
        sampler.join()
    seconds = time.monotonic() - started
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
    summary = lines[-1]["summary"] if lines and "summary" in lines[-1] else {}
    if not summary:
        raise RuntimeError(f"verify printed no summary (exit {proc.returncode}): {stderr[-500:]!r}")
    kinds: dict[str, int] = {}
    for line in lines[:-1]:
        kinds[line["problem"]] = kinds.get(line["problem"], 0) + 1
    return {
        "exit": proc.returncode,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak["rss_mb"], 1),
        "summary": summary,
        "kinds": kinds,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--unknown", type=float, default=0.1, help="share of files no track owns")
    parser.add_argument("--jobs", type=int, help="verify --jobs (default: its own)")
    parser.add_argument("--quick", action="store_true", help="300 files")
    args = parser.parse_args(argv)
    files = 300 if args.quick else args.files
    with tempfile.TemporaryDirectory(prefix="spotsyncd-bench-verify-") as tmp:
        env = Env(Path(tmp) / "world", log_level="warning")
        started = time.monotonic()
        built = build_library(env, files, args.unknown)
        build_s = time.monotonic() - started
        result = run_verify(env, args.jobs)
    result.update(built, build_s=round(build_s, 1), machine=machine())
    result["files_per_s"] = round(result["summary"]["files"] / max(result["seconds"], 0.001), 1)
    print(
        f"verify: {result['tracks']} tracks + {result['unknown']} unknown files = {files} files "
        f"in {result['seconds']} s ({result['files_per_s']} files/s), peak RSS "
        f"{result['peak_rss_mb']} MB; problems {result['kinds']}; built in {result['build_s']} s"
    )
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2), flush=True)
