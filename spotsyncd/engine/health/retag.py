"""``spotsyncd retag``: rewrite filed tracks' tags and cover from the ledger (refreshed from
Spotify when credentials allow), and with ``move`` file them where ``library.path_template``
puts them now, m3u8 playlists included. With ``identity`` (``--identify``), a track the ledger
knows no identity of, or whose fingerprint check was never made (no key then, no answer: see
``identity.service.check_pending``), is looked up on MusicBrainz and fingerprinted for AcoustID
first (one MusicBrainz request a second); its identity is recorded at once, so a run that stops
resumes with the tracks still unknown.

Tags are written to a copy beside the file that then replaces it, so a crash leaves the old file
or the new one, never a half-written one. A move goes through the library's safe filing (no
overwrites, atomic) and is recorded in the ledger in two steps (see ``ledger/tracks/filed.py``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from spotsyncd.core.config import Config
from spotsyncd.core.errors import SpotsyncError
from spotsyncd.core.models import Source, TrackMeta, Verdict
from spotsyncd.core.protocols import IdentityStep, MetadataSource
from spotsyncd.engine.jobs.filing import audio_settings_for, template_for
from spotsyncd.engine.jobs.identity_check import as_chosen, named_by_search
from spotsyncd.follows.collections import write_collection_playlists
from spotsyncd.follows.playlists import PlaylistWriter
from spotsyncd.identity.service import check_pending
from spotsyncd.ledger import Ledger, TrackRow
from spotsyncd.media import library
from spotsyncd.media.lyrics import LRC_SUFFIX, lrc_path_for

if TYPE_CHECKING:
    from spotsyncd.media.tags import MutagenTagger

log = logging.getLogger(__name__)
TEMP_PREFIX = ".spotsyncd-"


@dataclass(frozen=True)
class RetagOutcome:
    key: str
    path: str
    action: str  # retagged | moved | would_move | failed | skipped
    detail: str = ""
    new_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "path": self.path, "action": self.action,
                "detail": self.detail, "new_path": self.new_path}  # fmt: skip


def rewrite_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write`` on a copy of ``path`` in its folder, then put the copy in its place."""
    temp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(6)}{path.suffix}")
    try:
        shutil.copy2(path, temp)
        write(temp)
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_tags_from_ledger(
    config: Config,
    tagger: MutagenTagger,
    track: TrackRow,
    path: Path,
    *,
    meta: TrackMeta | None = None,
    cover: bytes | None = None,
) -> None:
    """The ledger's metadata and key into the filed ``path`` (its ReplayGain and lyrics stay)."""
    settings = audio_settings_for(config, track)

    def write(target: Path) -> None:
        tagger.write(
            target,
            meta or track.meta,
            key=track.key,
            cover=cover,
            id3_version=settings.id3_version,
            keep_replaygain=True,
            identity=track.identity,
        )

    rewrite_atomically(path, write)


def target_path(config: Config, track: TrackRow, meta: TrackMeta, ext: str) -> PurePosixPath:
    """Where the path template (the follow's, else the config's) files this track now."""
    template = str(track.options.get("path_template") or template_for(config, track.key))
    rel = library.render_path(template, meta, ext=ext, key=track.key)
    subdir = track.options.get("subdir")
    if subdir:
        rel = PurePosixPath(library.sanitize_component(str(subdir))) / rel
    return rel


class Retagger:
    def __init__(
        self,
        config: Config,
        ledger: Ledger,
        tagger: MutagenTagger,
        *,
        fetch_cover: Callable[[str | None], bytes | None] = lambda url: None,
        spotify: MetadataSource | None = None,
        move: bool = False,
        identity: IdentityStep | None = None,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.tagger = tagger
        self.fetch_cover = fetch_cover
        self.spotify = spotify
        self.move = move
        self.moved = 0
        self.identity = identity

    def run(self, keys: Sequence[str] | None = None) -> Iterator[RetagOutcome]:
        """One outcome per filed track (all of them, or those of ``keys``); playlists follow."""
        for track in self.ledger.iter_filed(keys):
            yield self.one(track)
        if self.moved:
            self.write_playlists()

    def one(self, track: TrackRow) -> RetagOutcome:
        assert track.path is not None
        path = self.config.library_dir / track.path
        try:
            if not path.is_file():
                return self._missing(track, path)
            owner = self.tagger.read_key(path)
            if owner not in (None, track.key):
                why = f"the file there carries another track's key ({owner})"
                return RetagOutcome(track.key, track.path, "skipped", why)
            meta = self._meta(track)
            known = self._identify(track, path, meta)
            write_tags_from_ledger(
                self.config, self.tagger, known, path, meta=meta,
                cover=self.fetch_cover(meta.cover_url),
            )  # fmt: skip
            return self._place(track, path, meta)
        except (OSError, SpotsyncError) as exc:
            detail = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) else str(exc)
            return RetagOutcome(track.key, track.path, "failed", detail)

    def _identify(self, track: TrackRow, path: Path, meta: TrackMeta) -> TrackRow:
        """The track with its identity: the ledger's, else looked up now and recorded. The
        audio was filed already: a mismatch is recorded (and shown by ``why``) without the
        IDs of the recording asked for; the file stays."""
        if self.identity is None or not check_pending(track.identity):
            return track
        step = self.identity
        asked = step.recording_for(meta, search=not step.fingerprints)  # AcoustID first
        found = step.check(step.fingerprint(path), asked, meta)
        found = named_by_search(step, asked, found, meta)
        if found.verdict == Verdict.MISMATCH:
            log.warning("%s: %s ('spotsyncd match %s URL' replaces it)", track.key,
                        found.reason, track.key)  # fmt: skip
            found = as_chosen(found)
        self.ledger.set_identity(track.id, found)
        return replace(track, identity=found)

    def _missing(self, track: TrackRow, path: Path) -> RetagOutcome:
        old = self.config.library_dir / track.replaces_path if track.replaces_path else None
        if old is not None and old.is_file() and self.tagger.read_key(old) == track.key:
            # A move that a crash cut short: the ledger already names the new place.
            return self._move_file(track, old, PurePosixPath(track.path or ""), track.replaces_path)
        why = "the file is missing; 'spotsyncd verify --fix' fetches it again"
        return RetagOutcome(track.key, track.path or "", "failed", why)

    def _meta(self, track: TrackRow) -> TrackMeta:
        if self.spotify is None or track.source != Source.SPOTIFY:
            return track.meta
        try:
            fresh = self.spotify.track(track.key.rsplit(":", 1)[-1])
        except SpotsyncError as exc:
            log.warning(
                "%s: Spotify's metadata not refreshed (%s); using the ledger's", track.key, exc
            )
            return track.meta
        meta = fresh.merged_over(track.meta)
        self.ledger.update_meta(track.id, meta)
        return meta

    def _place(self, track: TrackRow, path: Path, meta: TrackMeta) -> RetagOutcome:
        assert track.path is not None
        rel = target_path(self.config, track, meta, path.suffix.lstrip("."))
        for candidate in library.candidate_paths(self.config.library_dir, rel):
            relative = candidate.relative_to(self.config.library_dir).as_posix()
            if relative == track.path:
                break  # already where the template puts it
            taken = os.path.lexists(candidate)
            if taken and (not candidate.is_file() or self.tagger.read_key(candidate) != track.key):
                continue  # another track's file, or one spotsyncd did not make
            if self.ledger.path_owner(relative) not in (None, track.key):
                continue
            if not self.move:
                return RetagOutcome(track.key, track.path, "would_move",
                                    "run with --move to file it there", relative)  # fmt: skip
            return self._move_file(track, path, PurePosixPath(relative), track.path)
        return RetagOutcome(track.key, track.path, "retagged")

    def _move_file(
        self, track: TrackRow, src: Path, rel: PurePosixPath, old: str | None
    ) -> RetagOutcome:
        old = old or rel.as_posix()
        if not self.ledger.begin_move(track.id, old, rel.as_posix()):
            return RetagOutcome(track.key, old, "skipped", f"{rel} belongs to another track")
        try:
            final = library.file_into_library(
                src, self.config.library_dir, rel, owner_of=self.tagger.read_key, key=track.key
            )
        except BaseException:
            self.ledger.undo_move(track.id, old)
            raise
        new = final.relative_to(self.config.library_dir.resolve()).as_posix()
        self.ledger.end_move(track.id, new)
        self.moved += 1
        _move_sidecar(src, final)
        _prune_empty_dirs(src.parent, self.config.library_dir)
        return RetagOutcome(track.key, old, "moved", "", new)

    def write_playlists(self) -> int:
        """Rewrite every follow's and collection's m3u8 so it points at the files where they
        are now."""
        writer = PlaylistWriter(self.config.library_dir)
        written = 0
        for follow in self.ledger.follows():
            try:
                written += writer.write(follow.name, self.ledger.follow_tracks(follow.id))
            except OSError as exc:
                log.warning("%s: could not rewrite its playlist: %s", follow.name, exc)
        names = [follow.name for follow in self.ledger.follows()]
        return written + write_collection_playlists(self.ledger, writer, follow_names=names)


def _move_sidecar(old_audio: Path, new_audio: Path) -> None:
    old, new = lrc_path_for(old_audio), lrc_path_for(new_audio)
    if old.is_file() and not os.path.lexists(new) and new.suffix == LRC_SUFFIX:
        with contextlib.suppress(OSError):
            os.replace(old, new)


def _prune_empty_dirs(folder: Path, library_dir: Path) -> None:
    """Remove folders a move left empty, up to (not including) the library itself."""
    root = library_dir.resolve()
    current = folder.resolve()
    while current != root and current.is_relative_to(root):
        try:
            current.rmdir()
        except OSError:
            return  # not empty (or not ours to remove)
        current = current.parent
