"""``spotsyncd verify``: is the library still what the ledger says?

Two passes, both streamed so memory stays flat on a 50,000-file library: every filed track (its
file exists, decodes to the end, carries its key and the expected tags, no other track has its
ISRC), then every audio file under the library (one that no track owns is listed, never touched).
With ``fix``: tags are rewritten from the ledger, broken files are moved aside and missing or
broken tracks are queued to download again.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spotsyncd.core.config import Config
from spotsyncd.core.errors import SpotsyncError
from spotsyncd.core.models import TrackMeta
from spotsyncd.engine.health.retag import Retagger, write_tags_from_ledger
from spotsyncd.engine.jobs.pipeline import MEDIA_SUFFIXES
from spotsyncd.ledger import Ledger, TrackRow
from spotsyncd.media.integrity import DecodeCheck

if TYPE_CHECKING:
    from spotsyncd.media.tags import MutagenTagger

QUARANTINE = "quarantine"
WALK_BATCH = 500
DECODE_BATCH = 64
PER_FFMPEG = 16
# What a user is told --fix does (or did) for each kind of problem.
FIXES = {
    "missing": "queue the track to download again",
    "interrupted_move": "finish the move",
    "broken": "move the file to {quarantine} and queue the track to download again",
    "untagged": "rewrite its tags from the ledger",
    "tags_differ": "rewrite its tags from the ledger",
    "other_key": "none: the file carries another track's key; check it, then "
    "'spotsyncd retag KEY' makes it this track's again",
    "duplicate": "none: both are kept; delete the one you do not want",
    "unknown_file": "none: left alone (no track owns it)",
}
NOTES = frozenset({"unknown_file"})  # listed, but not a fault of the library


@dataclass(frozen=True)
class Problem:
    kind: str
    path: str  # relative to the library
    key: str | None
    detail: str
    fix: str
    fixed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"problem": self.kind, "path": self.path, "key": self.key,
                "detail": self.detail, "fix": self.fix, "fixed": self.fixed}  # fmt: skip


@dataclass
class Summary:
    tracks: int = 0
    files: int = 0
    problems: int = 0
    notes: int = 0
    fixed: int = 0
    requeued: int = 0

    def to_json(self) -> dict[str, int]:
        return dict(self.__dict__)


Progress = Callable[[str, int | None], None]  # (phase, total or None) → advance by one


class Verifier:
    def __init__(
        self,
        config: Config,
        ledger: Ledger,
        tagger: MutagenTagger,
        decode: Callable[[Sequence[tuple[Path, float | None]]], list[DecodeCheck]],
        *,
        fix: bool = False,
        fetch_cover: Callable[[str | None], bytes | None] = lambda url: None,
        jobs: int = 2,
    ) -> None:
        self.jobs = max(1, jobs)
        self.config = config
        self.ledger = ledger
        self.tagger = tagger
        self.decode = decode
        self.fix = fix
        self.fetch_cover = fetch_cover
        self.summary = Summary()
        self.quarantine = config.state_dir / QUARANTINE

    def run(self, progress: Progress | None = None) -> Iterator[Problem]:
        tick = progress or (lambda phase, total: None)
        isrcs: dict[str, str] = {}  # the one structure that grows: ~100 bytes per ISRC
        total = self.ledger.count_filed()
        to_requeue: list[str] = []
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="spotsyncd-verify") as pool:
            for batch, checks in self._decoded(pool):
                for track, check in zip(batch, checks, strict=True):
                    tick("tracks", total)
                    self.summary.tracks += 1
                    for problem in self._check_track(track, check, isrcs):
                        if problem.fixed and problem.kind in ("missing", "broken"):
                            to_requeue.append(problem.key or "")
                        yield self._count(problem)
                if len(to_requeue) >= WALK_BATCH:
                    self._requeue(to_requeue)
        self._requeue(to_requeue)
        for problem in self._walk(tick):
            yield self._count(problem)

    def _decoded(
        self, pool: ThreadPoolExecutor
    ) -> Iterator[tuple[list[TrackRow], list[DecodeCheck | None]]]:
        """Filed tracks in batches with their decode checks. ffmpeg decodes the next batch in its
        own processes (several side by side) while the caller reads this batch's tags."""
        ahead: tuple[list[TrackRow], list[Future[list[DecodeCheck | None]]]] | None = None
        for batch in itertools.chain(_batched(self.ledger.iter_filed(), DECODE_BATCH), [[]]):
            chunks = [batch[i : i + PER_FFMPEG] for i in range(0, len(batch), PER_FFMPEG)]
            decoding = (batch, [pool.submit(self._decode, chunk) for chunk in chunks])
            if ahead is not None:
                yield ahead[0], [check for future in ahead[1] for check in future.result()]
            ahead = decoding

    def _decode(self, tracks: list[TrackRow]) -> list[DecodeCheck | None]:
        """Decode checks for the tracks whose file is there (None for the others)."""
        paths = [self.config.library_dir / (t.path or "") for t in tracks]
        there = [p.is_file() for p in paths]
        wanted = [(p, t.duration_s) for p, t, ok in zip(paths, tracks, there, strict=True) if ok]
        found = iter(self.decode(wanted))
        return [next(found) if ok else None for ok in there]

    # ------------------------------------------------------------------ tracks

    def _check_track(
        self, track: TrackRow, check: DecodeCheck | None, isrcs: dict[str, str]
    ) -> Iterator[Problem]:
        rel = track.path or ""
        path = self.config.library_dir / rel
        isrc = (track.meta.isrc or "").strip().upper()
        if isrc:
            first = isrcs.setdefault(isrc, track.key)
            if first != track.key:
                yield self._problem("duplicate", rel, track.key,
                                    f"same recording (ISRC {isrc}) as {first}")  # fmt: skip
        if check is None or not path.is_file():
            yield self._missing(track, rel)
            return
        if not check.ok:
            fixed = self.fix and self._quarantine(path)
            yield self._problem("broken", rel, track.key, check.problem or "", fixed=fixed)
            return
        owner, tags = self.tagger.inspect(path)
        if owner is not None and owner != track.key:
            yield self._problem("other_key", rel, track.key, f"tagged as {owner}")
            return
        if owner is None:
            detail = "no spotsyncd key (its tags were removed or rewritten by another program)"
            yield self._problem("untagged", rel, track.key, detail, fixed=self._retag(track, path))
            return
        differ = _differences(track.meta, tags)
        if differ:
            detail = "tags differ from the ledger: " + "; ".join(differ)
            yield self._problem(
                "tags_differ", rel, track.key, detail, fixed=self._retag(track, path)
            )

    def _missing(self, track: TrackRow, rel: str) -> Problem:
        old = track.replaces_path
        if old and (self.config.library_dir / old).is_file():  # a retag --move a crash cut short
            moved = (
                self.fix
                and Retagger(self.config, self.ledger, self.tagger).one(track).action == "moved"
            )
            detail = f"a move was cut short: the file is still at {old}"
            return self._problem("interrupted_move", rel, track.key, detail, fixed=moved)
        return self._problem("missing", rel, track.key, "the file is gone", fixed=self.fix)

    def _retag(self, track: TrackRow, path: Path) -> bool:
        if not self.fix:
            return False
        cover = self.fetch_cover(track.meta.cover_url)
        write_tags_from_ledger(self.config, self.tagger, track, path, cover=cover)
        return True

    def _quarantine(self, path: Path) -> bool:
        """Move a broken file out of the library (never deleted: it may be all the user has)."""
        self.quarantine.mkdir(parents=True, exist_ok=True)
        target = self.quarantine / f"{secrets.token_hex(4)}-{path.name}"
        try:
            os.replace(path, target)
        except OSError:
            shutil.move(str(path), str(target))
        return True

    def _requeue(self, keys: list[str]) -> None:
        if keys:
            why = "verify --fix: the library file was missing or broken; fetching it again"
            self.summary.requeued += self.ledger.requeue_filed(keys, why)
            keys.clear()

    # ------------------------------------------------------------------ files

    def _walk(self, tick: Progress) -> Iterator[Problem]:
        """Every audio file under the library that no track owns, a folder at a time."""
        root = self.config.library_dir
        skip = {p.resolve() for p in (self.config.inbox_dir, self.config.state_dir)}
        stack = [root]
        while stack:
            folder = stack.pop()
            batch: list[str] = []
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        if entry.is_dir(follow_symlinks=False):
                            if Path(entry.path).resolve() not in skip:
                                stack.append(Path(entry.path))
                        elif entry.name.lower().endswith(MEDIA_SUFFIXES) and entry.is_file():
                            rel = Path(entry.path).relative_to(root).as_posix()
                            batch.append(rel)
                            if len(batch) >= WALK_BATCH:
                                yield from self._unowned(batch, tick)
                                batch = []
            except OSError:
                continue  # a folder we may not read is no library file of ours
            yield from self._unowned(batch, tick)

    def _unowned(self, batch: list[str], tick: Progress) -> Iterator[Problem]:
        owners = self.ledger.owners(batch)
        for rel in batch:
            tick("files", None)
            self.summary.files += 1
            if rel in owners:
                continue
            try:
                key = self.tagger.read_key(self.config.library_dir / rel)
            except (OSError, SpotsyncError):
                key = None
            track = self.ledger.track(key) if key else None
            if track is not None and track.replaces_path == rel:
                continue  # the old place of a move a crash cut short: reported with its track
            if track is not None and track.path and track.path != rel:
                yield self._problem(
                    "duplicate", rel, key, f"a second copy of {key}, filed as {track.path}"
                )
            else:
                detail = (
                    f"tagged as {key}, which the ledger does not know"
                    if key
                    else "no track owns it"
                )
                yield self._problem("unknown_file", rel, None, detail)

    # ------------------------------------------------------------------ helpers

    def _problem(
        self, kind: str, path: str, key: str | None, detail: str, *, fixed: bool = False
    ) -> Problem:
        fix = FIXES[kind].format(quarantine=self.quarantine)
        return Problem(kind, path, key, detail, fix, fixed)

    def _count(self, problem: Problem) -> Problem:
        if problem.kind in NOTES:
            self.summary.notes += 1
        else:
            self.summary.problems += 1
        self.summary.fixed += problem.fixed
        return problem


def _batched(rows: Iterable[TrackRow], size: int) -> Iterator[list[TrackRow]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _differences(wanted: TrackMeta, found: TrackMeta) -> list[str]:
    """The expected tags the file lacks or has otherwise than the ledger."""
    out = []
    for name in ("title", "album"):
        want, have = getattr(wanted, name), getattr(found, name)
        if want and (have or "").strip() != want.strip():
            out.append(f"{name} {have!r} instead of {want!r}")
    joined = len(found.artists) == 1 and found.artists[0] == "/".join(wanted.artists)  # ID3v2.3
    if wanted.artists and list(found.artists) != [a.strip() for a in wanted.artists] and not joined:
        out.append(f"artists {list(found.artists)!r} instead of {list(wanted.artists)!r}")
    return out
