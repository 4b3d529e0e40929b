"""Tracks that are "done" in a real ledger, with real tagged audio files in a real library."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from spotsyncd.core.models import Link, LinkKind, Source, TrackMeta
from spotsyncd.ledger import Ledger, TrackRow
from spotsyncd.ledger.schema import jobs
from spotsyncd.media.tags import MutagenTagger
from tests.fakes.audio import make_audio


def file_track(
    ledger: Ledger,
    library: Path,
    n: int,
    rel: str,
    meta: TrackMeta,
    *,
    seconds: float = 3.0,
    audio: Path | None = None,
    link: Link | None = None,
    cover: bytes | None = None,
) -> TrackRow:
    """Add ``youtube:vidN`` to the ledger, put a tagged file at ``library/rel``, mark it done
    the way the worker does. ``audio``: copy this file instead of encoding a new one."""
    if link is None:
        vid = f"vid{n:08d}"
        link = Link(f"youtube:{vid}", f"https://www.youtube.com/watch?v={vid}", Source.YOUTUBE,
                    LinkKind.TRACK)  # fmt: skip
    key = link.key
    ledger.add_links([link], metas=[meta])
    row = ledger.track(key)
    assert row is not None
    path = library / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if audio is not None:
        path.write_bytes(audio.read_bytes())
    else:
        make_audio(path, seconds=seconds, freq=300 + 10 * n)
    MutagenTagger().write(path, meta, key=key, cover=cover)
    with ledger.engine.connect() as conn:
        job_id = conn.execute(select(jobs.c.id).where(jobs.c.track_id == row.id)).scalar_one()
    assert ledger.reserve_path(row.id, rel)
    ledger.finish_job(job_id, row.id, path=rel, size_bytes=path.stat().st_size,
                      duration_s=seconds, meta=meta, info=None, audio_settings="mp3",
                      loudness_lufs=None, download_s=0, process_s=0, message="ok")  # fmt: skip
    done = ledger.track(key)
    assert done is not None
    return done
