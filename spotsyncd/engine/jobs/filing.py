"""Where a job's files live and go: its staging folder, the audio settings it encodes with, the
library path it is filed at, the path the ledger stores, and the file a manual match replaces.

Apart from the pipeline because the worker (recording a finished job), the foreground run and
``retag`` need the same answers without running a job; and because filing has one rule worth
keeping in one place: a file is never written over another track's, or over one spotsyncd did
not make (its tags carry the track's key, which is how ours are told apart).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from spotsyncd.core.config import AudioConfig, Config
from spotsyncd.core.errors import PermanentError
from spotsyncd.core.models import EPISODE_KEY_PREFIX, TrackMeta
from spotsyncd.core.protocols import Tagger
from spotsyncd.engine.jobs.job_ledger import PipelineLedger
from spotsyncd.ledger import TrackRow
from spotsyncd.media import library

AUDIO_OVERRIDES = ("format", "bitrate", "normalize")  # a follow's options that set audio.*


def staging_dir_for(config: Config, track_id: int) -> Path:
    return config.staging_dir / f"track-{track_id}"


def audio_settings_for(config: Config, track: TrackRow) -> AudioConfig:
    """The config's audio settings with a follow's per-track overrides applied."""
    overrides = {k: v for k, v in track.options.items() if k in AUDIO_OVERRIDES}
    return config.audio.model_copy(update=overrides) if overrides else config.audio


def output_root(config: Config, track: TrackRow) -> Path:
    """Where the track is filed: the library, or the folder ``get --output DIR`` named."""
    output = track.options.get("output_dir")
    return Path(str(output)) if output else config.library_dir


def stored_path(config: Config, path: Path) -> str:
    """The ledger's ``path``: relative to the library, absolute for a file outside it
    (``get --output``), so ``library_dir / path`` finds it either way."""
    for root in (config.library_dir, config.library_dir.resolve()):
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.as_posix()


def describe_settings(settings: AudioConfig) -> str:
    if settings.format == "original":
        return "original stream"
    level = {
        "loudness": f"loudness {settings.target_lufs:g} LUFS",
        "peak": f"peak {settings.true_peak_db:g} dB",
        "off": "no normalisation",
    }[settings.normalize]
    rate = "" if settings.format == "flac" else f" {settings.bitrate}"
    trim = ", silence trimmed" if settings.trim_silence else ""
    return f"{settings.format}{rate}, {level}{trim}"


def template_for(config: Config, key: str) -> str:
    """The library's template for ``key``: podcast episodes have their own."""
    if key.startswith(EPISODE_KEY_PREFIX):
        return config.library.podcast_template
    return config.library.path_template


def file_track(
    config: Config,
    ledger: PipelineLedger,
    tagger: Tagger,
    track: TrackRow,
    src: Path,
    meta: TrackMeta,
) -> Path:
    """Move the finished ``src`` into the library (or ``get --output``'s folder) under the path
    the template makes of ``meta``, reserving it in the ledger first; the first free candidate
    wins (another track's file is never overwritten)."""
    template = str(track.options.get("path_template") or template_for(config, track.key))
    rel = library.render_path(template, meta, ext=src.suffix.lstrip("."), key=track.key)
    subdir = track.options.get("subdir")
    if subdir:
        rel = PurePosixPath(library.sanitize_component(str(subdir))) / rel
    root = output_root(config, track)
    for candidate in library.candidate_paths(root, rel):
        relative = candidate.relative_to(root).as_posix()
        if candidate.exists() or candidate.is_symlink():
            ours = candidate.is_file() and tagger.read_key(candidate) == track.key
            if not ours:
                continue  # another track's file, or one we did not make: never overwrite
        if not ledger.reserve_path(track.id, stored_path(config, candidate)):
            continue
        return library.file_into_library(
            src,
            root,
            PurePosixPath(relative),
            owner_of=tagger.read_key,
            key=track.key,
        )
    raise PermanentError(f"no free file name in the library for {rel}")


def remove_replaced(config: Config, tagger: Tagger, track: TrackRow, final: Path) -> bool:
    """After a manual match: the file made from the old audio goes, if it is still ours.
    Returns whether a file was removed."""
    if not track.replaces_path:
        return False
    old = config.library_dir / track.replaces_path
    if old.resolve() == final.resolve() or not old.is_file():
        return False
    if tagger.read_key(old) != track.key:
        return False  # someone put another file there since: not ours to delete
    old.unlink()
    return True
