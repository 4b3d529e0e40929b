from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotsyncd.core.config import DEFAULT_TEMPLATE
from spotsyncd.core.errors import ConfigError, DiskError
from spotsyncd.core.models import TrackMeta
from spotsyncd.media.library import (
    LibraryPathError,
    candidate_paths,
    cleanup_temp_files,
    file_into_library,
    render_path,
    sanitize_component,
    sanitize_filename,
)

FORBIDDEN = (
    set('/\\<>:"|?*\x00') | {chr(c) for c in range(32)} | set("\u202a\u202b\u202c\u202d\u202e")
)
FORBIDDEN |= set("\u2066\u2067\u2068\u2069\x7f")


# ---------------------------------------------------------------------------------------------
# A tiny "tagging" for tests: the owner key is the file's first line.


def write_track(path: Path, key: str, body: str = "audio") -> Path:
    path.write_text(f"{key}\n{body}")
    return path


def owner_from_content(path: Path) -> str | None:
    first = path.read_text().split("\n", 1)[0]
    return first or None


def file_track(staging: Path, library: Path, rel: PurePosixPath, key: str, body: str = "") -> Path:
    src = write_track(staging / f"{abs(hash((key, body)))}.mp3", key, body)
    return file_into_library(src, library, rel, owner_of=owner_from_content, key=key)


# ---------------------------------------------------------------------------------------------
# sanitize_component


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("AC/DC", "AC_DC"),
        ("a\\b", "a_b"),
        ('What? <Now> "Yes": a|b*', "What_ _Now_ _Yes__ a_b_"),
        ("..", "_"),
        (".", "_"),
        ("", "_"),
        ("   ", "_"),
        ("...hidden", "hidden"),
        ("trailing. . ", "trailing"),
        ("tab\tand\nnewline", "tab and newline"),
        ("nul\x00byte\x07bell", "nulbytebell"),
        ("\u202egnp.exe", "gnp.exe"),
        ("iso\u2066late\u2069", "isolate"),
        ("e\u0301", "\u00e9"),  # NFC
        ("CON", "CON_"),
        ("con.mp3", "con_.mp3"),
        ("Lpt9.tar.gz", "Lpt9_.tar.gz"),
        ("COM¹", "COM¹_"),
        ("NUL .txt", "NUL _.txt"),
        ("CONSOLE", "CONSOLE"),
        ("Nullsleep", "Nullsleep"),
    ],
)
def test_sanitize_component(raw: str, clean: str) -> None:
    assert sanitize_component(raw) == clean


@pytest.mark.parametrize(
    ("stem", "ext", "name"),
    [
        (".", "mp3", "_.mp3"),
        ("", ".opus", "_.opus"),
        ("CON", "mp3", "CON_.mp3"),
        ("a/b", "m4a", "a_b.m4a"),
    ],
)
def test_sanitize_filename(stem: str, ext: str, name: str) -> None:
    assert sanitize_filename(stem, ext) == name
    long = sanitize_filename("x" * 300 + ".", ext)
    assert len(long.encode()) == 255 and long.endswith("x." + ext.lstrip("."))


def test_sanitize_caps_bytes_and_keeps_extension() -> None:
    name = sanitize_component("ü" * 400 + ".flac")
    assert len(name.encode()) <= 255 and name.endswith("ü.flac")
    emoji = sanitize_component("🎵" * 100)
    assert len(emoji.encode()) <= 255 and set(emoji) == {"🎵"}


@given(st.text(max_size=600))
def test_sanitize_properties(raw: str) -> None:
    clean = sanitize_component(raw)
    assert clean and clean not in (".", "..")
    assert len(clean.encode()) <= 255
    assert not FORBIDDEN & set(clean)
    assert not clean.startswith(".") and not clean.endswith((".", " "))
    assert unicodedata.is_normalized("NFC", clean)
    assert sanitize_component(clean) == clean


# ---------------------------------------------------------------------------------------------
# render_path

FULL = TrackMeta(
    title="Song",
    artists=("Main", "Guest"),
    album="Record",
    album_artist="Band",
    track_number=3,
    disc_number=2,
    date="2019-05-01",
    genre="Jazz",
)


def test_render_default_template() -> None:
    assert render_path(DEFAULT_TEMPLATE, FULL, ext="opus", key="k") == PurePosixPath(
        "Band/Record/03 - Song.opus"
    )


def test_render_all_fields() -> None:
    template = (
        "{genre}/{album_artist}/{album} ({year})/{disc_number}-{track_number:03d} "
        "{artists} - {title} [{date}] {playlist} {key}.{ext}"
    )
    rel = render_path(template, FULL, ext=".mp3", key="youtube:abc", playlist="Mix")
    assert rel == PurePosixPath(
        "Jazz/Band/Record (2019)/2-003 Main, Guest - Song [2019-05-01] Mix youtube_abc.mp3"
    )


@pytest.mark.parametrize(
    ("template", "meta", "expected"),
    [
        (DEFAULT_TEMPLATE, TrackMeta(title="Loose", artists=("Solo",)), "Solo/Singles/Loose.m4a"),
        (DEFAULT_TEMPLATE, TrackMeta(), "Unknown Artist/Singles/spotify_track_X.m4a"),
        ("{artist}/{title}.{ext}", TrackMeta(title="T", artists=("A", "B")), "A/T.m4a"),
        ("{artist}/{album} ({year})/{title}.{ext}", TrackMeta(title="T"),
         "Unknown Artist/Singles/T.m4a"),
        ("{artist}/{album} [{year}]/{title}.{ext}", TrackMeta(title="T"),
         "Unknown Artist/Singles/T.m4a"),
        ("{title} - {track_number}.{ext}", TrackMeta(title="T"), "T.m4a"),
        ("{playlist}/{genre}/{title}.{ext}", TrackMeta(title="T"), "T.m4a"),
        ("{artist}/CD{disc_number}/{title}.{ext}", TrackMeta(title="T"), "Unknown Artist/CD/T.m4a"),
        ("{artist}/{album}/{title}.{ext}", TrackMeta(title="x", album=".."),
         "Unknown Artist/_/x.m4a"),
    ],
)  # fmt: skip
def test_render_fallbacks(template: str, meta: TrackMeta, expected: str) -> None:
    assert render_path(template, meta, ext="m4a", key="spotify:track:X") == PurePosixPath(expected)


def test_render_keeps_metadata_slashes_inside_one_component() -> None:
    meta = TrackMeta(title="../../etc/passwd", artists=("../..",), album="/abs")
    rel = render_path(DEFAULT_TEMPLATE, meta, ext="mp3", key="k")
    assert len(rel.parts) == 3 and ".." not in rel.parts and not rel.is_absolute()


@pytest.mark.parametrize(
    "template",
    ["{title.__class__}.{ext}", "{artists[0]}.{ext}", "{nope}.{ext}", "{title:02d}.{ext}"],
)
def test_render_refuses_bad_templates(template: str) -> None:
    with pytest.raises(ConfigError, match="path_template"):
        render_path(template, FULL, ext="mp3", key="k")


nasty_text = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["..", ".", "/", "\\", "\x00", "\u202e", "CON", "nul.txt", "  ", "../x"]),
    st.text(alphabet="./\\ \x00\u202e\u2066:*?aé🎵", max_size=30),
    st.text(min_size=1000, max_size=1000, alphabet="aé🎵/."),
)
metadata = st.builds(
    TrackMeta,
    title=nasty_text,
    artists=st.lists(st.text(max_size=30) | st.sampled_from(["..", "/", "CON"]), max_size=3).map(
        tuple
    ),
    album=nasty_text,
    album_artist=nasty_text,
    track_number=st.none() | st.integers(0, 9999),
    disc_number=st.none() | st.integers(0, 99),
    date=st.none() | st.text(max_size=12),
    genre=nasty_text,
)
templates = st.sampled_from(
    [
        DEFAULT_TEMPLATE,
        "{artist}/{title}.{ext}",
        "{album_artist}/{album} ({year})/{disc_number}-{track_number:02d} {title}.{ext}",
        "{playlist}/{artists} - {title} {key}.{ext}",
        "{genre}/{date}/{title}.{ext}",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templates, metadata, st.text(max_size=20) | st.none(), st.sampled_from(["mp3", "opus"]))
def test_rendered_paths_stay_inside_the_library(
    template: str, meta: TrackMeta, playlist: str | None, ext: str
) -> None:
    rel = render_path(template, meta, ext=ext, key="youtube:../../x", playlist=playlist)
    assert not rel.is_absolute() and rel.parts
    for part in rel.parts:
        assert part not in ("", ".", "..") and len(part.encode()) <= 255
        assert not FORBIDDEN & set(part)
    assert rel.name.endswith("." + ext)
    with tempfile.TemporaryDirectory() as tmp:
        library, staging = Path(tmp, "lib"), Path(tmp, "staging")
        staging.mkdir()
        final = file_track(staging, library, rel, "key:a")
        assert final.resolve().is_relative_to(library.resolve())
        assert final.read_text().startswith("key:a")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=2, max_size=5))
def test_different_keys_never_overwrite_each_other(titles: list[str]) -> None:
    """Titles that may sanitise to the same name, each filed by its own key, all survive."""
    with tempfile.TemporaryDirectory() as tmp:
        library, staging = Path(tmp, "lib"), Path(tmp, "staging")
        staging.mkdir()
        finals = []
        for number, title in enumerate(titles):
            rel = render_path("{artist}/{title}.{ext}", TrackMeta(title=title), ext="mp3", key="k")
            finals.append(file_track(staging, library, rel, f"key:{number}"))
        assert len(set(finals)) == len(titles)
        for number, final in enumerate(finals):
            assert owner_from_content(final) == f"key:{number}"
            assert len(final.name.encode()) <= 255


# ---------------------------------------------------------------------------------------------
# file_into_library


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    staging = tmp_path / "staging"
    staging.mkdir()
    return staging, tmp_path / "library"


REL = PurePosixPath("Artist/Album/01 - Song.mp3")


def test_files_a_track_and_removes_the_source(dirs: tuple[Path, Path]) -> None:
    staging, library = dirs
    final = file_track(staging, library, REL, "k1", "v1")
    assert final == library.resolve() / REL
    assert final.read_text() == "k1\nv1" and not list(staging.iterdir())
    assert (final.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_same_key_replaces_its_own_file(dirs: tuple[Path, Path]) -> None:
    staging, library = dirs
    first = file_track(staging, library, REL, "k1", "old")
    second = file_track(staging, library, REL, "k1", "new")
    assert first == second and second.read_text() == "k1\nnew"
    assert len(list(second.parent.iterdir())) == 1


def test_other_key_gets_a_numbered_name(dirs: tuple[Path, Path]) -> None:
    staging, library = dirs
    a = file_track(staging, library, REL, "k1")
    b = file_track(staging, library, REL, "k2")
    c = file_track(staging, library, REL, "k3")
    b_again = file_track(staging, library, PurePosixPath(REL), "k2", "new")
    assert [p.name for p in (a, b, c)] == [
        "01 - Song.mp3",
        "01 - Song (2).mp3",
        "01 - Song (3).mp3",
    ]
    assert b_again.name == "01 - Song (2).mp3"  # numbered names are checked for ownership too
    assert [owner_from_content(p) for p in (a, b, c)] == ["k1", "k2", "k3"]


def test_unknown_owner_is_never_overwritten(dirs: tuple[Path, Path]) -> None:
    staging, library = dirs
    (library / "Artist/Album").mkdir(parents=True)
    (library / REL).write_text("")  # a file the user put there: owner unknown
    final = file_track(staging, library, REL, "k1")
    assert final.name == "01 - Song (2).mp3" and (library / REL).read_text() == ""


def test_directory_or_symlink_in_the_way_is_skipped(dirs: tuple[Path, Path]) -> None:
    staging, library = dirs
    (library / REL).mkdir(parents=True)
    outside = write_track(staging.parent / "outside.mp3", "k1")
    (library / REL.parent / "01 - Song (2).mp3").symlink_to(outside)
    final = file_track(staging, library, REL, "k1")
    assert final.name == "01 - Song (3).mp3" and outside.read_text() == "k1\naudio"


def test_symlinked_folder_escaping_the_library_is_refused(dirs: tuple[Path, Path]) -> None:
    staging, library = dirs
    elsewhere = staging.parent / "elsewhere"
    elsewhere.mkdir()
    library.mkdir()
    (library / "Artist").symlink_to(elsewhere)
    with pytest.raises(LibraryPathError, match="inside the library"):
        file_track(staging, library, REL, "k1")
    assert not list(elsewhere.iterdir())


def test_symlinked_folder_inside_the_library_is_fine(dirs: tuple[Path, Path]) -> None:
    staging, library = dirs
    (library / "Real").mkdir(parents=True)
    (library / "Artist").symlink_to(library / "Real")
    final = file_track(staging, library, REL, "k1")
    assert final == library.resolve() / "Real/Album/01 - Song.mp3"


@pytest.mark.parametrize("rel", ["../x.mp3", "/etc/x.mp3", "a/../b.mp3", "a\\..\\b.mp3", "."])
def test_unsafe_relative_paths_are_refused(dirs: tuple[Path, Path], rel: str) -> None:
    staging, library = dirs
    with pytest.raises(LibraryPathError):
        file_track(staging, library, PurePosixPath(rel), "k1")


def test_concurrent_filers_with_different_keys_keep_every_file(dirs: tuple[Path, Path]) -> None:
    staging, library = dirs
    (library / REL.parent).mkdir(parents=True)
    write_track(library / REL, "someone-else")

    def slow_owner(path: Path) -> str | None:
        time.sleep(0.02)  # every thread checks the taken name, then all race for "(2)"
        return owner_from_content(path)

    sources = [write_track(staging / f"{n}.mp3", f"k{n}") for n in range(8)]
    barrier = threading.Barrier(len(sources))
    finals: list[Path] = []

    def run(src: Path, key: str) -> None:
        barrier.wait()
        finals.append(file_into_library(src, library, REL, owner_of=slow_owner, key=key))

    threads = [threading.Thread(target=run, args=(s, f"k{n}")) for n, s in enumerate(sources)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(set(finals)) == 8
    assert sorted(owner_from_content(p) or "" for p in finals) == [f"k{n}" for n in range(8)]
    assert owner_from_content(library / REL) == "someone-else"


def test_candidate_paths_stay_within_255_bytes(tmp_path: Path) -> None:
    rel = PurePosixPath("a/" + sanitize_component("é" * 200 + ".flac"))
    names = [p.name for _, p in zip(range(12), candidate_paths(tmp_path, rel), strict=False)]
    assert (
        names[0] == rel.name and names[1].endswith(" (2).flac") and names[11].endswith("(12).flac")
    )
    assert all(len(n.encode()) <= 255 for n in names) and len(set(names)) == 12


def test_cleanup_temp_files(tmp_path: Path) -> None:
    (tmp_path / ".spotsyncd-abc.tmp").write_text("x")
    (tmp_path / ".spotsyncd-def.tmp").write_text("x")
    (tmp_path / "song.mp3").write_text("x")
    (tmp_path / ".spotsyncd-dir.tmp").mkdir()
    assert cleanup_temp_files(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".spotsyncd-dir.tmp", "song.mp3"]
    assert cleanup_temp_files(tmp_path / "missing") == 0


# ---------------------------------------------------------------------------------------------
# Another filesystem: a tiny tmpfs (needs root and mount permission, skipped otherwise)


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Callable[[], Path]]:
    point = tmp_path / "tmpfs"
    point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield lambda: point
    finally:
        subprocess.run(["umount", str(point)], check=True)


def test_cross_filesystem_move_copies_then_renames(
    dirs: tuple[Path, Path], small_tmpfs: Callable[[], Path]
) -> None:
    staging, _ = dirs
    library = small_tmpfs() / "library"
    final = file_track(staging, library, REL, "k1", "x" * 1000)
    assert final.read_text() == "k1\n" + "x" * 1000
    assert not list(staging.iterdir())  # the source is gone: it was a move
    assert sorted(p.name for p in final.parent.iterdir()) == [final.name]  # no temp left


def test_full_disk_is_a_disk_error_and_leaves_no_temp_file(
    dirs: tuple[Path, Path], small_tmpfs: Callable[[], Path]
) -> None:
    staging, _ = dirs
    library = small_tmpfs() / "library"
    src = write_track(staging / "big.mp3", "k1", "x" * (1024 * 1024))
    with pytest.raises(DiskError, match=r"cannot write .*01 - Song\.mp3"):
        file_into_library(src, library, REL, owner_of=owner_from_content, key="k1")
    assert not list((library / REL.parent).iterdir())
    assert src.exists()  # nothing lost: the job can retry once there is space
