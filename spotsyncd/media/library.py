"""File finished tracks into the music library: safe names, no overwrites, atomic moves.

Every path component comes from untrusted metadata, so each one is sanitised on its own, capped at
255 UTF-8 bytes, and the final folder is proven to be inside the library before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import string
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from spotsyncd.core.errors import ConfigError, DiskError, PermanentError
from spotsyncd.core.models import TrackMeta

MAX_COMPONENT_BYTES = 255
MAX_CANDIDATES = 1000
UNKNOWN_ARTIST = "Unknown Artist"
SINGLES_ALBUM = "Singles"
TEMP_PREFIX = ".spotsyncd-"
TEMP_SUFFIX = ".tmp"

_DROP = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_AS_SPACE = re.compile("[\t\n\r\u2028\u2029]")
_RESERVED_CHARS = re.compile(r'[/\\<>:"|?*]')
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")
_WINDOWS_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])", re.IGNORECASE)
_OPTIONAL_FIELDS = ("track_number", "disc_number", "year", "date", "genre", "playlist")
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
_NO_HARDLINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


class LibraryPathError(PermanentError):
    """A library path would escape the library or is otherwise unusable."""

    error_class = "unsafe_path"


# ---------------------------------------------------------------------------------------------
# Names


def sanitize_component(text: str) -> str:
    """One safe path component: portable characters, no dot tricks, at most 255 UTF-8 bytes."""
    return _sanitize(text, MAX_COMPONENT_BYTES)


def sanitize_filename(stem: str, ext: str) -> str:
    """``stem.ext`` where only the stem is cut to fit, so the extension always survives."""
    ext = sanitize_component(ext.lstrip("."))
    return f"{_sanitize(stem, MAX_COMPONENT_BYTES - len(ext.encode()) - 1)}.{ext}"


def _sanitize(text: str, max_bytes: int) -> str:
    text = _DROP.sub("", _AS_SPACE.sub(" ", text))
    text = unicodedata.normalize("NFC", _RESERVED_CHARS.sub("_", text))
    text = re.sub(r"\s+", " ", text).lstrip(" .").rstrip(" .")
    text = _cap_bytes(text, max_bytes)
    stem, dot, ext = text.partition(".")
    if _WINDOWS_RESERVED.fullmatch(stem.rstrip(" ")):
        text = f"{stem}_{dot}{ext}"
    return text or "_"


def _cap_bytes(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` UTF-8 bytes on a character boundary, keeping an extension."""
    if len(text.encode()) <= limit:
        return text
    match = _EXTENSION.search(text)
    ext = match.group(0) if match else ""
    stem = text[: len(text) - len(ext)]
    room = limit - len(ext.encode())
    stem = stem.encode()[:room].decode(errors="ignore")
    # Cutting may split a base character from its combining marks; NFC keeps the result stable.
    stem = unicodedata.normalize("NFC", stem).rstrip(" .")
    while len((stem + ext).encode()) > limit:
        stem = stem[:-1].rstrip(" .")
    return stem + ext


def candidate_paths(library_dir: Path, rel: PurePosixPath) -> Iterator[Path]:
    """``library_dir/rel``, then ``name (2).ext``, ``name (3).ext``… (each within 255 bytes)."""
    folder = library_dir.joinpath(*rel.parent.parts)
    yield folder / rel.name
    match = _EXTENSION.search(rel.name)
    ext = match.group(0) if match else ""
    stem = rel.name[: len(rel.name) - len(ext)]
    for number in range(2, MAX_CANDIDATES + 1):
        counter = f" ({number}){ext}"
        yield folder / (_cap_bytes(stem, MAX_COMPONENT_BYTES - len(counter.encode())) + counter)


# ---------------------------------------------------------------------------------------------
# Templates


def render_path(
    template: str, meta: TrackMeta, *, ext: str, key: str, playlist: str | None = None
) -> PurePosixPath:
    """Render ``template`` for ``meta`` into a relative path of sanitised components.

    Fallbacks: no artist → "Unknown Artist"; no title → ``key``; no album → "Singles"; no
    album artist → the artist. A missing track/disc number, year, date, genre or playlist is
    removed together with the separator or brackets around it, and a folder left empty by that is
    dropped, so ``{artist}/{album}/{track_number:02d} - {title}.{ext}`` becomes
    ``Artist/Singles/Title.ext`` for a loose single.
    """
    values = _template_values(meta, ext=ext, key=key, playlist=playlist)
    for name in _OPTIONAL_FIELDS:
        if values[name] is None:
            template = _remove_field(template, name)
    components: list[str] = [""]
    try:
        for literal, field, spec, conversion in string.Formatter().parse(template):
            parts = literal.split("/")
            components[-1] += parts[0]
            components.extend(parts[1:])
            if field is not None:
                components[-1] += _format_field(values, field, spec or "", conversion)
    except (ValueError, KeyError) as exc:
        raise ConfigError(
            f"cannot render {template!r}: {exc}", key="library.path_template"
        ) from None
    folders = [sanitize_component(c) for c in components[:-1] if c.strip()]  # not emptied
    name, ext = components[-1], values["ext"]
    if name.endswith(f".{ext}"):
        return PurePosixPath(*folders, sanitize_filename(name[: -len(ext) - 1], ext))
    return PurePosixPath(*folders, sanitize_component(name))


def _template_values(
    meta: TrackMeta, *, ext: str, key: str, playlist: str | None
) -> dict[str, Any]:
    first_artist = meta.artists[0] if meta.artists else None
    artist = meta.album_artist or first_artist or UNKNOWN_ARTIST
    date = meta.date or None
    return {
        "artist": artist,
        "artists": meta.artist or artist,
        "album": meta.album or SINGLES_ALBUM,
        "show": meta.album or SINGLES_ALBUM,
        "album_artist": meta.album_artist or artist,
        "title": meta.title or key,
        "track_number": meta.track_number,
        "disc_number": meta.disc_number,
        "year": date[:4] if date else None,
        "date": date,
        "ext": ext.lstrip("."),
        "playlist": playlist or None,
        "genre": meta.genre or None,
        "key": key,
    }


def _remove_field(template: str, name: str) -> str:
    field = r"\{" + name + r"(?:[:!][^}]*)?\}"
    template = re.sub(r"\s*[(\[]" + field + r"[)\]]", "", template)  # "Album ({year})"
    template = re.sub(r"\s*[-–—_]\s*" + field + r"(?=\.\{ext\})", "", template)  # "T - {n}.{ext}"
    return re.sub(field + r"(?:\s*[-–—_.]\s*(?!\{ext\})|\s+)?", "", template)  # "{n} - Title"


def _format_field(values: dict[str, Any], field: str, spec: str, conversion: str | None) -> str:
    if field not in values:  # no attribute or index access: metadata must not reach Python objects
        raise KeyError(f"unknown field {{{field}}}")
    value = values[field]
    if conversion == "r":
        value = repr(value)
    elif conversion == "s":
        value = str(value)
    return format(value, spec)


# ---------------------------------------------------------------------------------------------
# Filing


def file_into_library(
    src: Path,
    library_dir: Path,
    rel: PurePosixPath,
    *,
    owner_of: Callable[[Path], str | None],
    key: str,
) -> Path:
    """Move ``src`` to ``library_dir/rel`` (or ``name (N).ext``) and return where it landed.

    An existing file whose ``owner_of`` is ``key`` is replaced; anyone else's file is never
    touched. The returned path is under the *resolved* ``library_dir``. Raises
    :class:`LibraryPathError` if the path would leave the library and
    :class:`DiskError` when the disk is full, read-only or not writable.
    """
    _check_relative(rel)
    try:
        library_dir.mkdir(parents=True, exist_ok=True)
        root = library_dir.resolve(strict=True)
        folder = _make_folders(root, rel.parent)
        return _move_into(src, folder, PurePosixPath(rel.name), owner_of=owner_of, key=key)
    except OSError as exc:
        if exc.errno in _DISK_ERRNOS:
            raise DiskError(
                f"cannot write {library_dir / rel}: {exc.strerror}; free space or fix permissions"
            ) from exc
        raise


def _check_relative(rel: PurePosixPath) -> None:
    bad = rel.is_absolute() or not rel.parts or any(p in ("", ".", "..") for p in rel.parts)
    if bad or any("\x00" in p or "\\" in p for p in rel.parts):
        raise LibraryPathError(f"refusing library path {str(rel)!r}: not a plain relative path")


def _make_folders(root: Path, rel_folder: PurePosixPath) -> Path:
    """Create ``root/rel_folder`` one level at a time, refusing symlinks that lead outside."""
    folder = root
    for part in rel_folder.parts:
        folder = folder / part
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
        folder = folder.resolve(strict=True)
        if not folder.is_relative_to(root) or not folder.is_dir():
            raise LibraryPathError(
                f"refusing to file into {root / rel_folder}: "
                f"{part!r} is not a folder inside the library"
            )
    return folder


def _move_into(
    src: Path,
    folder: Path,
    name: PurePosixPath,
    *,
    owner_of: Callable[[Path], str | None],
    key: str,
) -> Path:
    staged, temp = src, None
    try:
        for candidate in candidate_paths(folder, name):
            replace = os.path.lexists(candidate)
            if replace and (candidate.is_symlink() or not candidate.is_file()):
                continue
            if replace and owner_of(candidate) != key:
                continue  # another track's file: never overwrite it
            try:
                placed = _place(staged, candidate, replace=replace)
            except OSError as exc:
                if exc.errno != errno.EXDEV or temp is not None:
                    raise
                staged = temp = _copy_to_temp(src, folder)
                placed = _place(staged, candidate, replace=replace)
            if not placed:
                continue  # someone took the name between our check and our link
            if temp is not None:
                temp = None
                src.unlink(missing_ok=True)  # a move, even across filesystems
            _fsync_dir(folder)
            return candidate
        raise LibraryPathError(f"more than {MAX_CANDIDATES} files named like {folder / name}")
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def _place(staged: Path, candidate: Path, *, replace: bool) -> bool:
    if replace:
        os.replace(staged, candidate)
        return True
    return _publish_new(staged, candidate)


def _copy_to_temp(src: Path, folder: Path) -> Path:
    """Copy ``src`` to a hidden temp file in ``folder`` and flush it to disk."""
    temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as source:
            shutil.copyfileobj(source, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _publish_new(staged: Path, target: Path) -> bool:
    """Give ``staged`` the name ``target`` only if that name is free; False if it was taken."""
    try:
        os.link(staged, target)  # atomic, and fails instead of overwriting
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_HARDLINKS:
            raise
        return _publish_without_hardlinks(staged, target)
    os.unlink(staged)
    return True


def _publish_without_hardlinks(staged: Path, target: Path) -> bool:
    """Reserve ``target`` with an exclusive empty file, then rename over our own reservation."""
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
    except FileExistsError:
        return False
    try:
        os.replace(staged, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return True


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def cleanup_temp_files(directory: Path) -> int:
    """Remove ``.spotsyncd-*.tmp`` leftovers of a crash from one folder; return how many."""
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for entry in entries:
        name = entry.name
        is_temp = name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)
        if is_temp and entry.is_file(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)
            removed += 1
    return removed
