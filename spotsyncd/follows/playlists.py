"""One ``.m3u8`` playlist per follow, in the library: ``<library>/Playlists/<name>.m3u8``,
and beside it the follow's artwork as ``<name>.jpg`` (rewritten only when its bytes change).

Entries are the follow's tracks in the source's order, only those downloaded (done, with a file),
with ``#EXTINF:<seconds>,<artist> – <title>`` and a path relative to the playlist's folder (posix
separators), so the library can move or be mounted elsewhere and players still find the files.
Files are written atomically (temp file, fsync, ``os.replace``): a player never reads half a list.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from spotsyncd.core.models import JobState
from spotsyncd.media.library import sanitize_component

PLAYLISTS_DIR = "Playlists"
EXTENSION = ".m3u8"
ARTWORK_EXTENSION = ".jpg"


class PlaylistEntry(Protocol):
    """What an entry needs; ``ledger.FollowTrack`` has it."""

    @property
    def path(self) -> str | None: ...  # relative to the library, posix separators
    @property
    def duration_s(self) -> float | None: ...
    @property
    def artist(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def state(self) -> JobState: ...
    @property
    def absent_since(self) -> float | None: ...


def render_m3u8(entries: Iterable[PlaylistEntry], *, playlist_dir: Path, library_dir: Path) -> str:
    lines = ["#EXTM3U"]
    folder = playlist_dir.relative_to(library_dir).as_posix()
    for entry in entries:
        if entry.state != JobState.DONE or not entry.path or entry.absent_since is not None:
            continue
        seconds = round(entry.duration_s) if entry.duration_s is not None else -1
        label = " – ".join(_one_line(x) for x in (entry.artist, entry.title) if x)
        label = label or _one_line(posixpath.splitext(posixpath.basename(entry.path))[0])
        lines.append(f"#EXTINF:{seconds},{label}")
        lines.append(posixpath.relpath(entry.path, folder))
    return "\n".join(lines) + "\n"


def write_m3u8(path: Path, entries: Iterable[PlaylistEntry], *, library_dir: Path) -> bool:
    """Write the playlist at ``path`` (inside ``library_dir``). Returns False when the file
    already had exactly this content, so an unchanged poll does not touch the disk."""
    text = render_m3u8(entries, playlist_dir=path.parent, library_dir=library_dir)
    data = text.encode("utf-8")
    with contextlib.suppress(OSError):
        if path.read_bytes() == data:
            return False
    _atomic_write(path, data)
    return True


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".spotsyncd-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _one_line(text: str) -> str:
    # A newline in a tag would start a new playlist line and could smuggle in a path.
    return " ".join(text.split())


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``path`` holds exactly that already."""
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    _atomic_write(path, data)
    return True


class PlaylistWriter:
    """Keeps ``<library>/Playlists/<follow name>.m3u8`` files and their ``.jpg`` artwork.

    ``on_change`` is called after a file was written or removed (the media servers are told)."""

    def __init__(self, library_dir: Path, on_change: Callable[[], None] | None = None) -> None:
        self.library_dir = library_dir
        self.on_change = on_change or (lambda: None)

    def path_for(self, follow_name: str) -> Path:
        name = sanitize_component(follow_name + EXTENSION)
        return self.library_dir / PLAYLISTS_DIR / name

    def artwork_path_for(self, follow_name: str) -> Path:
        name = sanitize_component(follow_name + ARTWORK_EXTENSION)
        return self.library_dir / PLAYLISTS_DIR / name

    def write(self, follow_name: str, entries: Iterable[PlaylistEntry]) -> bool:
        changed = write_m3u8(self.path_for(follow_name), entries, library_dir=self.library_dir)
        if changed:
            self.on_change()
        return changed

    def write_artwork(self, follow_name: str, jpeg: bytes) -> bool:
        """Keep ``<name>.jpg``; False when it already had exactly these bytes."""
        changed = write_if_changed(self.artwork_path_for(follow_name), jpeg)
        if changed:
            self.on_change()
        return changed

    def remove(self, follow_name: str) -> bool:
        """Remove a follow's playlist and artwork (unfollowed or renamed). False if there was
        no playlist."""
        with contextlib.suppress(FileNotFoundError):
            self.artwork_path_for(follow_name).unlink()
        try:
            self.path_for(follow_name).unlink()
        except FileNotFoundError:
            return False
        self.on_change()
        return True
