"""Hostile input through the real daemon: junk link files, links that try to reach local files,
and tags that try to escape the library. One daemon run takes the whole zoo, so it stays fast.

The daemon must stay up, every inbox entry must end in ``processed/`` (with a report) or
``failed/`` (with ``NAME.reason.txt``), valid lines in mixed files must still succeed, and a 50 MB
file must not be read into memory whole.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TALB, TIT2, TPE1

from tests.e2e.harness import Daemon, Env, wait_for
from tests.fakes.audio import make_audio
from tests.fakes.http_server import LoopbackServer

pytestmark = pytest.mark.timeout(180)

MB = 1024 * 1024
ESCAPES = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file:/etc/passwd",
    "/etc/passwd",
    "~/.ssh/id_rsa",
    "../../etc/passwd",
    "C:\\Windows\\win.ini",
    "\\\\server\\share\\x.mp3",
    "javascript:alert(1)",
    "data:audio/mp3;base64,AAAA",
    "https://user:pass@127.0.0.1/x.mp3",
    "ftp://127.0.0.1/x.mp3",
]


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a live process, in kB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def inbox_leftovers(env: Env) -> list[str]:
    return sorted(p.name for p in env.inbox.iterdir() if p.name not in ("processed", "failed"))


def _redirect_to_local_file(req: BaseHTTPRequestHandler) -> None:
    req.send_response(302)
    req.send_header("Location", "file:///etc/passwd")
    req.send_header("Content-Length", "0")
    req.end_headers()


def _evil_tags(path: Path, title: str, artist: str, album: str) -> None:
    tags = ID3(path)
    tags.delall("TIT2")
    tags.add(TIT2(encoding=3, text=title))
    tags.add(TPE1(encoding=3, text=artist))
    tags.add(TALB(encoding=3, text=album))
    tags.save(path)


@pytest.fixture
def hostile_server(tmp_path: Path) -> Iterator[LoopbackServer]:
    folder = tmp_path / "audio"
    folder.mkdir()
    server = LoopbackServer()
    for name, freq in (("a", 330), ("b", 440), ("warm", 550)):
        make_audio(folder / f"{name}.mp3", seconds=1.0, freq=freq, tags={"title": f"Song {name}"})
        server.add(f"/{name}.mp3", (folder / f"{name}.mp3").read_bytes(), "audio/mpeg")
    # Two different recordings whose tags differ only in what the library must sanitise away.
    album = "Al\x00bum\u202e/../x"
    for name, freq, title in (
        ("evil1", 660, "../../../etc/evil"),
        ("evil2", 770, "..\\..\\..\\etc\\evil"),
    ):
        make_audio(folder / f"{name}.mp3", seconds=1.0, freq=freq, tags={"title": "x"})
        _evil_tags(folder / f"{name}.mp3", title, "CON", album)
        server.add(f"/{name}.mp3", (folder / f"{name}.mp3").read_bytes(), "audio/mpeg")
    server.route("/redirect.mp3", _redirect_to_local_file)
    with server:
        yield server


def _write_big_file(path: Path, rng: random.Random, links: list[str]) -> None:
    """~50 MB: 500 junk lines of 100 KB (no line ends inside) with valid links in between."""
    junk = bytes(b for b in rng.randbytes(200_000) if b not in (10, 13))[:100_000]
    with path.open("wb") as handle:
        handle.write(links[0].encode() + b"\n")
        for index in range(500):
            handle.write(junk + b"\n")
            if index == 250:
                handle.write(links[1].encode() + b"\n")
        handle.write(links[2].encode() + b"\n")


def test_hostile_link_files_and_escapes(tmp_path: Path, hostile_server: LoopbackServer) -> None:
    srv = hostile_server
    link_a, link_b = srv.url("/a.mp3"), srv.url("/b.mp3")
    missing = srv.url("/missing.mp3")
    rng = random.Random(6)
    env = Env(tmp_path / "world")
    outside = tmp_path / "outside"
    outside.mkdir()
    inbox = env.inbox

    with Daemon(env) as daemon:
        daemon.wait_ready()
        # Warm up: the first download imports yt-dlp and friends, which is not the input's fault.
        env.drop("warm.txt", [srv.url("/warm.mp3")])
        wait_for(lambda: env.counts().get("done") == 1, 60, daemon, what="warm-up download")
        baseline = memory_kb(daemon.proc.pid)

        processed = {
            "random.txt",
            "nul.txt",
            "big.txt",
            "many.txt",
            "longline.txt",
            "badutf8.txt",
            "utf16.txt",
            "escapes.txt",
            "meta.txt",
        }
        failed = {"passwd.txt", "dirlink.txt", "dangling.txt", "x.txt", "f.txt"}

        (inbox / "random.txt").write_bytes(rng.randbytes(256 * 1024))
        (inbox / "nul.txt").write_bytes(
            b"\x00" * 1000 + b"\n" + link_a.encode() + b"\n" + link_b.encode() + b"\x00evil\n"
        )
        _write_big_file(tmp_path / "big.part", rng, [link_a, link_b, missing])
        os.replace(tmp_path / "big.part", inbox / "big.txt")
        many = [f"junk line {i}" if i % 2 else "# comment" for i in range(100_000)]
        many[99_997] = link_b
        (inbox / "many.txt").write_text("\n".join(many), encoding="utf-8")
        (inbox / "longline.txt").write_text(
            "x" * 5000 + "\n" + "y" * (10 * MB) + "\r\n" + link_b + "\r\n", encoding="utf-8"
        )
        (inbox / "badutf8.txt").write_bytes(b"\xc3\x28\xa0\xa1 bad\n" + link_a.encode() + b"\n")
        (inbox / "utf16.txt").write_bytes(f"{link_b}\r\nnot a link\r\n".encode("utf-16"))
        (inbox / "escapes.txt").write_text(
            "\n".join([*ESCAPES, srv.url("/redirect.mp3"), link_a]) + "\n", encoding="utf-8"
        )
        (inbox / "meta.txt").write_text(
            f"{srv.url('/evil1.mp3')}\n{srv.url('/evil2.mp3')}\n", encoding="utf-8"
        )
        os.symlink("/etc/passwd", inbox / "passwd.txt")
        os.symlink(outside, inbox / "dirlink.txt")
        os.symlink(tmp_path / "nothing-here", inbox / "dangling.txt")
        (inbox / "x.txt").mkdir()
        (inbox / "x.txt" / "inner.txt").write_text(link_a, encoding="utf-8")
        os.mkfifo(inbox / "f.txt")
        if os.geteuid() != 0:  # root reads anything: permission denied cannot be staged
            (inbox / "denied.txt").write_text(link_a + "\n", encoding="utf-8")
            (inbox / "denied.txt").chmod(0)
            failed.add("denied.txt")
        for index in range(20):  # files appearing and vanishing (deleted or moved away)
            flash = inbox / f"flash{index}.txt"
            flash.write_text(link_a + "\n", encoding="utf-8")
            if index % 2:
                flash.unlink()
            else:
                os.replace(flash, outside / flash.name)

        peaks: list[int] = []

        def settled() -> bool:
            peaks.append(memory_kb(daemon.proc.pid)["VmRSS"])
            counts = env.counts()
            return (
                not inbox_leftovers(env) and not counts.get("pending") and not counts.get("running")
            )

        wait_for(settled, 120, daemon, what="every inbox entry handled and every job ended")
        after = memory_kb(daemon.proc.pid)
        assert daemon.proc.poll() is None, "the daemon died"
        log_text = daemon.output()
        daemon.stop()

    # Memory: the 50 MB file (and the 10 MB line) were streamed, never held whole.
    growth_mb = (after["VmHWM"] - baseline["VmHWM"]) / 1024
    assert growth_mb < 40, (baseline, after, max(peaks))

    # Every entry ended somewhere, with its explanation beside it.
    done_dir, failed_dir = inbox / "processed", inbox / "failed"
    for name in processed:
        assert (done_dir / name).exists(), (name, sorted(os.listdir(done_dir)))
        assert (done_dir / f"{name}.report.txt").is_file(), name
    for name in failed:
        assert (failed_dir / name).is_symlink() or (failed_dir / name).exists(), name
        reason = (failed_dir / f"{name}.reason.txt").read_text(encoding="utf-8")
        assert "Reason:" in reason and len(reason) > 30, (name, reason)
    assert (failed_dir / "passwd.txt").is_symlink()  # moved as a link, the target untouched
    assert "symbolic link" in (failed_dir / "passwd.txt.reason.txt").read_text(encoding="utf-8")
    assert "directory" in (failed_dir / "x.txt.reason.txt").read_text(encoding="utf-8")
    assert "regular file" in (failed_dir / "f.txt.reason.txt").read_text(encoding="utf-8")
    if "denied.txt" in failed:
        reason = (failed_dir / "denied.txt.reason.txt").read_text(encoding="utf-8")
        assert "permission denied" in reason
    flashes = [n for n in os.listdir(done_dir) + os.listdir(failed_dir) if n.startswith("flash")]
    assert not flashes  # they were gone before they could be read: nothing to record
    assert "Traceback" not in log_text, log_text[-3000:]

    # Valid lines in mixed files still succeeded.
    report = (done_dir / "big.txt.report.txt").read_text(encoding="utf-8")
    assert report.count("done →") == 2 and "failed →" in report and "404" in report
    assert report.count("longer than") == 500
    for name, links in (
        ("nul.txt", 1),
        ("many.txt", 1),
        ("longline.txt", 1),
        ("badutf8.txt", 1),
        ("utf16.txt", 1),
    ):
        text = (done_dir / f"{name}.report.txt").read_text(encoding="utf-8")
        assert text.count("done →") == links, (name, text[:2000])
        assert "complete" in text.splitlines()[0], (name, text[:300])
    assert "NUL" in (done_dir / "nul.txt.report.txt").read_text(encoding="utf-8")
    assert "UTF-8" in (done_dir / "badutf8.txt.report.txt").read_text(encoding="utf-8")
    assert "more than" not in (done_dir / "many.txt.report.txt").read_text(encoding="utf-8")

    # Escapes: refused with a reason, and nothing but loopback http reached the downloader.
    escapes = (done_dir / "escapes.txt.report.txt").read_text(encoding="utf-8")
    assert escapes.count("refused →") == len(ESCAPES), escapes
    ledger = env.ledger()
    try:
        rows = ledger.tracks()
    finally:
        ledger.close()
    base = srv.url("/")
    assert rows and all(row.url.startswith(base) for row in rows), [r.url for r in rows]
    by_url = {row.url.removeprefix(base): row for row in rows}
    assert by_url["redirect.mp3"].state.value == "failed"
    for name in ("a.mp3", "b.mp3", "warm.mp3", "evil1.mp3", "evil2.mp3"):
        assert by_url[name].state.value == "done", (name, by_url[name].error)
    assert srv.hits["/x.mp3"] == 0
    for path in env.library.rglob("*"):
        if path.is_file():
            assert b"root:" not in path.read_bytes()[:4096]

    # Tags that try to escape: both files inside the library, neither overwrote the other.
    library = env.library.resolve()
    evil = [env.library / str(by_url[n].path) for n in ("evil1.mp3", "evil2.mp3")]
    assert evil[0] != evil[1]
    for path in evil:
        assert path.is_file() and path.resolve().is_relative_to(library), path
        parts = path.relative_to(env.library).parts
        assert all(p not in ("..", ".", "") and "\x00" not in p for p in parts), parts
        assert all("\u202e" not in p and p.upper() != "CON" for p in parts), parts
    assert ID3(evil[0])["TIT2"].text[0] == "../../../etc/evil"
    assert ID3(evil[1])["TIT2"].text[0] == "..\\..\\..\\etc\\evil"
    assert not (tmp_path / "etc").exists() and not (env.root / "etc").exists()
