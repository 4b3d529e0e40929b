from __future__ import annotations

import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotsyncd.core.errors import LinkError
from spotsyncd.core.models import Link, LinkKind, Source
from spotsyncd.intake.links import (
    LineResult,
    LinkFileError,
    open_link_file,
    parse_line,
    parse_link,
    read_link_file,
)
from spotsyncd.intake.textlines import iter_text_lines

VID = "dQw4w9WgXcQ"
SP = "4uLU6hMCjMI75M1A2tKUQC"
WATCH = f"https://www.youtube.com/watch?v={VID}"


@pytest.mark.parametrize(
    "text",
    [
        WATCH,
        f"http://youtube.com/watch?v={VID}",
        f"https://m.youtube.com/watch?v={VID}&feature=share",
        f"https://www.youtube.com/watch?v={VID}&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=3",
        f"https://www.youtube.com/watch?feature=x&v={VID}&t=42s#comments",
        f"https://youtu.be/{VID}",
        f"https://youtu.be/{VID}?si=abcdef&t=10",
        f"youtu.be/{VID}",
        f"www.youtube.com/watch?v={VID}",
        f"https://www.youtube.com/shorts/{VID}",
        f"https://music.youtube.com/watch?v={VID}&si=x",
        f"https://www.youtube.com/embed/{VID}?autoplay=1",
        f"https://www.youtube-nocookie.com/embed/{VID}",
        f"https://www.youtube.com/live/{VID}?feature=share",
        f"HTTPS://WWW.YOUTUBE.COM/watch?v={VID}",
        f"  {WATCH}  ",
        # Mirrors and other hosts yt-dlp's YouTube extractors know
        f"https://www.youtubekids.com/watch?v={VID}",
        f"https://invidio.us/watch?v={VID}",
        f"https://redirect.invidious.io/{VID}",
        f"https://redirect.invidious.io/watch?v={VID}",
        f"https://piped.video/watch?v={VID}",
        f"https://yewtu.be/watch?v={VID}&t=3",
        f"//www.youtube.com/watch?v={VID}",
        f"https://www.youtube.com/watch_popup?v={VID}",
        f"https://youtu.be/{VID}?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        f"https://www.youtube.com/embed/{VID}?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        f"https://www.youtube.com:443/watch?v={VID}",
        "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D" + VID,
    ],
)
def test_youtube_video_forms(text: str) -> None:
    assert parse_link(text) == Link(f"youtube:{VID}", WATCH, Source.YOUTUBE, LinkKind.TRACK)


@pytest.mark.parametrize(
    "text",
    [
        "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        "https://music.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&si=zz",
        "https://www.youtube.com/watch?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        "https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
    ],
)
def test_youtube_playlist_forms(text: str) -> None:
    link = parse_link(text)
    assert link.key == "youtube:playlist:PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG"
    assert link.url == "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG"
    assert (link.source, link.kind) == (Source.YOUTUBE, LinkKind.COLLECTION)


CHANNEL_ID = "UC" + "a" * 21 + "Z"


@pytest.mark.parametrize(
    ("text", "key", "url"),
    [
        ("https://www.youtube.com/@SomeBand", "youtube:channel:@someband", "@someband"),
        ("https://youtube.com/@SomeBand/videos", "youtube:channel:@someband", "@someband"),
        (f"https://www.youtube.com/channel/{CHANNEL_ID}", f"youtube:channel:{CHANNEL_ID}",
         f"channel/{CHANNEL_ID}"),
        (f"https://www.youtube.com/channel/{CHANNEL_ID}/videos", f"youtube:channel:{CHANNEL_ID}",
         f"channel/{CHANNEL_ID}"),
        ("https://www.youtube.com/c/SomeName", "youtube:channel:c/somename", "c/somename"),
        ("https://www.youtube.com/user/OldName/videos", "youtube:channel:user/oldname",
         "user/oldname"),
        ("https://www.youtube.com/OldName/videos", "youtube:channel:oldname", "oldname"),
        ("https://www.youtube.com/OldName", "youtube:channel:oldname", "oldname"),
        (f"https://www.youtubekids.com/channel/{CHANNEL_ID}", f"youtube:channel:{CHANNEL_ID}",
         f"channel/{CHANNEL_ID}"),
        (f"https://invidio.us/channel/{CHANNEL_ID}/featured", f"youtube:channel:{CHANNEL_ID}",
         f"channel/{CHANNEL_ID}"),
    ],
)  # fmt: skip
def test_youtube_channel_forms(text: str, key: str, url: str) -> None:
    link = parse_link(text)
    assert link == Link(key, f"https://www.youtube.com/{url}/videos", Source.YOUTUBE,
                        LinkKind.COLLECTION)  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",
        "https://youtu.be/",
        "https://www.youtube.com/results?search_query=x",
        "https://www.youtube.com/",
        "https://www.youtube.com/channel/notachannel",
        "https://www.youtube.com/playlist?list=bad!id",
        "https://www.youtube.com/watch?v=short&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        "https://music.youtube.com/browse/FEmusic_explore",
        f"https://www.youtube.com/channel/{CHANNEL_ID}/about",
    ],
)
def test_youtube_refused(text: str) -> None:
    with pytest.raises(LinkError):
        parse_link(text)


@pytest.mark.parametrize(
    ("text", "key", "url"),
    [
        ("https://music.youtube.com/browse/MPREb_gTAcphH99wE", "youtube:album:MPREb_gTAcphH99wE",
         "https://music.youtube.com/browse/MPREb_gTAcphH99wE"),
        (f"https://music.youtube.com/browse/{CHANNEL_ID}", f"youtube:artist:{CHANNEL_ID}",
         f"https://music.youtube.com/channel/{CHANNEL_ID}"),
        (f"https://music.youtube.com/channel/{CHANNEL_ID}?si=x", f"youtube:artist:{CHANNEL_ID}",
         f"https://music.youtube.com/channel/{CHANNEL_ID}"),
        ("https://music.youtube.com/browse/VLPLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
         "youtube:playlist:PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
         "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG"),
        (f"https://www.youtube.com/channel/{CHANNEL_ID}/shorts",
         f"youtube:channel:{CHANNEL_ID}/shorts",
         f"https://www.youtube.com/channel/{CHANNEL_ID}/shorts"),
        ("https://www.youtube.com/@Band/releases", "youtube:channel:@band/releases",
         "https://www.youtube.com/@band/releases"),
        ("https://www.youtube.com/hashtag/LoFi", "youtube:hashtag:lofi",
         "https://www.youtube.com/hashtag/lofi"),
    ],
)  # fmt: skip
def test_youtube_music_and_tab_forms(text: str, key: str, url: str) -> None:
    link = parse_link(text)
    assert link == Link(key, url, Source.YOUTUBE, LinkKind.COLLECTION)
    assert parse_link(link.url) == link  # the canonical URL means the same


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("https://www.youtube.com/feed/history", "needs your login"),
        ("https://www.youtube.com/feed/subscriptions", "needs your login"),
        ("https://www.youtube.com/feed/watch_later", "needs your login"),
        ("https://www.youtube.com/playlist?list=WL", "'Watch later' needs your YouTube login"),
        ("https://www.youtube.com/playlist?list=LL", "'Liked videos' needs your YouTube login"),
        ("https://music.youtube.com/playlist?list=LM", "'Liked music' needs your YouTube login"),
        ("https://music.youtube.com/browse/FEmusic_liked_playlists", "needs your login"),
        ("https://www.youtube.com/results?search_query=x", "search results page"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXc", "cut short"),
        ("https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaZ/live", "streams right now"),
    ],
)
def test_youtube_refusals_say_why(text: str, reason: str) -> None:
    with pytest.raises(LinkError, match=reason):
        parse_link(text)


def test_youtube_lookalike_hosts_stay_generic() -> None:
    for text in ("https://notyoutube.com/watch?v=dQw4w9WgXcQ", "https://youtube.example.org/x"):
        assert parse_link(text).source is Source.GENERIC


@pytest.mark.parametrize("kind", ["track", "album", "playlist", "artist"])
@pytest.mark.parametrize(
    "template",
    [
        "https://open.spotify.com/{kind}/{id}",
        "https://open.spotify.com/{kind}/{id}?si=0123abcd&utm_source=copy-link",
        "https://open.spotify.com/intl-de/{kind}/{id}",
        "https://open.spotify.com/intl-pt-br/{kind}/{id}?si=x",
        "https://open.spotify.com/embed/{kind}/{id}?utm_source=generator",
        "http://open.spotify.com/{kind}/{id}#x",
        "open.spotify.com/{kind}/{id}",
        "spotify:{kind}:{id}",
        "Spotify:{kind}:{id}",
    ],
)
def test_spotify_forms(kind: str, template: str) -> None:
    link = parse_link(template.format(kind=kind, id=SP))
    expected_kind = LinkKind.TRACK if kind == "track" else LinkKind.COLLECTION
    assert link == Link(f"spotify:{kind}:{SP}", f"https://open.spotify.com/{kind}/{SP}",
                        Source.SPOTIFY, expected_kind)  # fmt: skip


def test_spotify_legacy_user_playlist() -> None:
    assert parse_link(f"spotify:user:bob:playlist:{SP}").key == f"spotify:playlist:{SP}"
    assert parse_link(f"https://open.spotify.com/user/bob/playlist/{SP}").key == (
        f"spotify:playlist:{SP}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "liked",
        "LIKED",
        "spotify:liked",
        "spotify:collection",
        "spotify:collection:tracks",
        "spotify:user:bob:collection",
        "https://open.spotify.com/collection/tracks",
    ],
)
def test_spotify_liked_songs(text: str) -> None:
    link = parse_link(text)
    assert (link.key, link.source, link.kind) == (
        "spotify:liked",
        Source.SPOTIFY,
        LinkKind.COLLECTION,
    )


@pytest.mark.parametrize(
    "text",
    [
        f"https://open.spotify.com/episode/{SP}",
        f"https://open.spotify.com/show/{SP}",
        "https://open.spotify.com/track/tooShort",
        f"https://open.spotify.com/track/{SP}x",
        f"spotify:track:{SP}:extra",
        "spotify:track:",
        "https://open.spotify.com/",
    ],
)
def test_spotify_refused(text: str) -> None:
    with pytest.raises(LinkError):
        parse_link(text)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("HTTP://Example.COM:80/a?b=2&a=1#frag", "http://example.com/a?a=1&b=2"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/p?utm_source=a&utm_medium=b&fbclid=c&si=d&keep=1",
         "https://example.com/p?keep=1"),
        ("https://example.com/p?z=&a=%20", "https://example.com/p?a=+&z="),
        ("http://127.0.0.1:8000/song.mp3", "http://127.0.0.1:8000/song.mp3"),
        ("http://[::1]:8000/song.mp3", "http://[::1]:8000/song.mp3"),
        ("https://example.com./x", "https://example.com/x"),
    ],
)  # fmt: skip
def test_generic_urls_are_normalised(text: str, url: str) -> None:
    assert parse_link(text) == Link(f"url:{url}", url, Source.GENERIC, LinkKind.UNKNOWN)


def test_generic_url_key_is_stable_across_spellings() -> None:
    a = parse_link("https://Example.com/feed?b=1&a=2&utm_campaign=x")
    b = parse_link("https://example.com:443/feed?a=2&b=1#top")
    assert a.key == b.key


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("https://soundcloud.com/artist/sets/my-set", LinkKind.COLLECTION),
        ("https://soundcloud.com/artist/a-track", LinkKind.UNKNOWN),
        ("https://band.bandcamp.com/album/record", LinkKind.COLLECTION),
        ("https://band.bandcamp.com/track/song", LinkKind.TRACK),
    ],
)
def test_soundcloud_and_bandcamp_kinds(text: str, kind: LinkKind) -> None:
    assert parse_link(text).kind is kind


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("file:///etc/passwd", "file"),
        ("FILE:///etc/passwd", "FILE"),
        ("javascript:alert(1)", "javascript"),
        ("data:text/plain;base64,SGk=", "data"),
        ("ftp://example.com/x.mp3", "ftp"),
        ("gopher://example.com/", "gopher"),
        ("/etc/passwd", "local path"),
        ("~/.ssh/id_rsa", "local path"),
        ("C:\\Users\\me\\song.mp3", "local path"),
        ("c:/Users/me/song.mp3", "local path"),
        ("\\\\server\\share\\x", "local path"),
        ("./x", "local path"),
        ("../x", "local path"),
        ("https://user:pass@example.com/", "password"),
        ("https://user@example.com/", "password"),
        ("https:///path", "no host"),
        ("https://", "no host"),
        ("http://[::1/x", "unparseable"),
        ("http://example.com:99999/", "unparseable"),
        ("http://exa<mple.com/", "invalid host"),
        ("just some words", "spaces"),
        ("song.mp3", "no http"),
        ("https://example.com/\x00x", "control"),
        ("https://example.com/\x1b[31m", "control"),
        ("https://example.com/\u202eevil", "bidi"),
        ("https://example.com/" + "a" * 5000, "longer than"),
        ("", "empty"),
    ],
)
def test_refused_with_reason(text: str, reason: str) -> None:
    with pytest.raises(LinkError, match=reason):
        parse_link(text)


@given(st.text(max_size=300))
def test_parse_link_only_raises_link_error(text: str) -> None:
    try:
        link = parse_link(text)
    except LinkError:
        return
    assert link.url.startswith(("https://", "http://"))
    assert link.key


def test_follow_line() -> None:
    link = parse_line("follow https://www.youtube.com/playlist?list=PLabc")
    assert link.follow and link.key == "youtube:playlist:PLabc"
    assert parse_line(f"FOLLOW \t spotify:playlist:{SP}").follow
    assert not parse_line("https://example.com/follow").follow
    assert parse_line("follow https://example.com/feed.xml").kind is LinkKind.UNKNOWN
    with pytest.raises(LinkError, match="single track"):
        parse_line(f"follow {WATCH}")
    with pytest.raises(LinkError):
        parse_line("follow file:///etc/passwd")


@pytest.mark.parametrize(
    "text",
    [
        f"spotify:track:{SP} | https://cdn.example.com/a.mp3?x=1",
        f"https://cdn.example.com/a.mp3?x=1 | spotify:track:{SP}",
        f"https://open.spotify.com/track/{SP}?si=1|https://cdn.example.com/a.mp3?x=1",
    ],
)
def test_override_line_either_order(text: str) -> None:
    link = parse_line(text)
    assert link.key == f"spotify:track:{SP}"
    assert link.override_url == "https://cdn.example.com/a.mp3?x=1"


def test_override_with_youtube_uses_canonical_url() -> None:
    link = parse_line(f"spotify:track:{SP} | https://youtu.be/{VID}")
    assert link.override_url == WATCH


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"spotify:track:{SP} | spotify:track:{SP}", "one Spotify"),
        ("https://a.example/x | https://b.example/y", "one Spotify"),
        (f"spotify:album:{SP} | https://a.example/x", "Spotify track"),
        (f"spotify:track:{SP} | https://www.youtube.com/playlist?list=PLx", "one recording"),
        (f"spotify:track:{SP} | file:///etc/passwd", "refused"),
        (f"spotify:track:{SP} | /etc/passwd", "local path"),
        (f"spotify:track:{SP} | a | b", "exactly one"),
        (f"spotify:track:{SP} |", "empty"),
    ],
)
def test_override_refused(text: str, reason: str) -> None:
    with pytest.raises(LinkError, match=reason):
        parse_line(text)


def test_trailing_comment_is_ignored() -> None:
    assert parse_line(f"{WATCH}   # the good one").key == f"youtube:{VID}"
    assert parse_line(f"{WATCH}#t=1").key == f"youtube:{VID}"  # a fragment is no comment


# ---------------------------------------------------------------------------------------------
# Link files


def _write(tmp_path: Path, data: bytes, name: str = "links.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _links(results: list[LineResult]) -> list[str]:
    return [r.link.key for r in results if r.link is not None]


SAMPLE = f"# my links\n\n{WATCH}\n  spotify:track:{SP}  \nnot a link\nliked\n"


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.encode(),
        b"\xef\xbb\xbf" + SAMPLE.encode(),
        SAMPLE.replace("\n", "\r\n").encode(),
        SAMPLE.replace("\n", "\r").encode(),
        SAMPLE.encode("utf-16"),
        b"\xff\xfe" + SAMPLE.replace("\n", "\r\n").encode("utf-16-le"),
        b"\xfe\xff" + SAMPLE.encode("utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "crlf", "cr", "utf16", "utf16le-crlf", "utf16be"],
)
def test_read_link_file_encodings(tmp_path: Path, data: bytes) -> None:
    results = list(read_link_file(_write(tmp_path, data)))
    assert _links(results) == [f"youtube:{VID}", f"spotify:track:{SP}", "spotify:liked"]
    errors = [r for r in results if r.error]
    assert [(r.line_no, r.text) for r in errors] == [(5, "not a link")]
    assert [r.line_no for r in results] == [3, 4, 5, 6]


def test_crlf_split_across_chunks_counts_one_line_end() -> None:
    import io

    data = b"a\r" + b"\nb\r\r\nc"
    for size in (1, 2, 3, 64):
        lines = list(iter_text_lines(io.BytesIO(data), max_line_chars=10, chunk_bytes=size))
        assert [(x.line_no, x.text) for x in lines] == [(1, "a"), (2, "b"), (3, ""), (4, "c")]


def test_invalid_utf8_fails_only_that_line(tmp_path: Path) -> None:
    data = f"{WATCH}\nhttps://example.com/\xff\xfe-bad\nliked\n".encode("latin-1")
    data = data.replace(WATCH.encode("latin-1"), WATCH.encode())
    results = list(read_link_file(_write(tmp_path, data)))
    assert _links(results) == [f"youtube:{VID}", "spotify:liked"]
    assert results[1].line_no == 2 and "UTF-8" in (results[1].error or "")


def test_nul_bytes_refuse_the_line(tmp_path: Path) -> None:
    results = list(read_link_file(_write(tmp_path, f"https://a.example/\x00x\n{WATCH}\n".encode())))
    assert "NUL" in (results[0].error or "")
    assert _links(results) == [f"youtube:{VID}"]


def test_duplicates_are_collapsed(tmp_path: Path) -> None:
    text = f"{WATCH}\nhttps://youtu.be/{VID}\nfollow spotify:playlist:{SP}\nspotify:playlist:{SP}\n"
    results = list(read_link_file(_write(tmp_path, text.encode())))
    assert [(r.line_no, r.link.key if r.link else None) for r in results] == [
        (1, f"youtube:{VID}"),
        (3, f"spotify:playlist:{SP}"),
        (4, f"spotify:playlist:{SP}"),  # not following it is a different request
    ]


@pytest.mark.e2e
def test_hundred_thousand_lines(tmp_path: Path) -> None:
    lines = [f"https://example.com/track/{i}" for i in range(100_000)]
    results = list(read_link_file(_write(tmp_path, "\n".join(lines).encode())))
    assert len(results) == 100_000
    assert results[-1].line_no == 100_000 and results[-1].link is not None
    assert results[-1].link.key == "url:https://example.com/track/99999"


def test_max_lines_stops_with_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, b"".join(b"https://e.example/%d\n" % i for i in range(10)))
    results = list(read_link_file(path, max_lines=4))
    assert len(_links(results)) == 4
    assert "more than 4 lines" in (results[-1].error or "")


def test_over_long_line_is_skipped_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as out:
        out.write(f"{WATCH}\n".encode())
        block = b"https://example.com/" + b"a" * (1024 * 1024 - 20)
        for _ in range(50):
            out.write(block)
        out.write(b"\nliked\n")
    tracemalloc.start()
    try:
        results = list(read_link_file(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"
    assert _links(results) == [f"youtube:{VID}", "spotify:liked"]
    assert results[1].line_no == 2 and "longer than 4096" in (results[1].error or "")


def test_symlink_to_passwd_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "evil.txt"
    link.symlink_to("/etc/passwd")
    with pytest.raises(LinkFileError, match="symbolic link"):
        list(read_link_file(link))


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    worker = threading.Thread(target=lambda: _capture(outcome, fifo), daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "opening a FIFO blocked"
    assert isinstance(outcome[0], LinkFileError) and "regular file" in str(outcome[0])


def _capture(outcome: list[BaseException], path: Path) -> None:
    try:
        open_link_file(path).close()
    except BaseException as exc:  # noqa: BLE001 - the test inspects whatever happened
        outcome.append(exc)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LinkFileError, match="directory"):
        list(read_link_file(tmp_path))


def test_vanished_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LinkFileError, match="vanished"):
        list(read_link_file(tmp_path / "gone.txt"))


_READ_IN_A_CHILD = """
import sys
from pathlib import Path
from spotsyncd.intake.links import LinkFileError, read_link_file
try:
    list(read_link_file(Path(sys.argv[1])))
except LinkFileError as exc:
    print(exc)
"""


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, b"liked\n")
    path.chmod(0)
    # Root reads whatever the mode says: as root, the reader runs without the capabilities
    # that let it (as the CLI's error-boundary matrix does), so it meets what users meet.
    drop = "-dac_override,-dac_read_search"
    prefix = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}"]
    said = subprocess.run(
        [*(prefix if os.geteuid() == 0 else []), sys.executable, "-c", _READ_IN_A_CHILD, str(path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "permission denied" in said


def test_open_link_file_reads_a_regular_file(tmp_path: Path) -> None:
    with open_link_file(_write(tmp_path, b"liked\n")) as stream:
        assert stream.read() == b"liked\n"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("http://127。0。0。1:8080/x.mp3", "url:http://127.0.0.1:8080/x.mp3"),
        ("http://127．0．0．1:8080/x.mp3", "url:http://127.0.0.1:8080/x.mp3"),
        ("http://2130706433:8080/x.mp3", "url:http://127.0.0.1:8080/x.mp3"),
        ("http://0x7f000001:8080/x.mp3", "url:http://127.0.0.1:8080/x.mp3"),
        ("http://127.1:8080/x.mp3", "url:http://127.0.0.1:8080/x.mp3"),
        ("http://bücher.example/a.mp3", "url:http://xn--bcher-kva.example/a.mp3"),
        ("http://beef/a.mp3", "url:http://beef/a.mp3"),
    ],
)
def test_one_address_has_one_key_whatever_its_spelling(text: str, key: str) -> None:
    """The key and the address fetched are what the resolver would make of the host, so a
    link cannot be stored under one key and fetch another host."""
    link = parse_line(text)
    assert link.key == key and link.url == key.removeprefix("url:")
