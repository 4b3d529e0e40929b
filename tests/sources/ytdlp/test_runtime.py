"""The probation after a switch: a source whose first downloads all fail (with an error a
yt-dlp release can cause) rolls the release back; one success, or other errors, do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotsyncd.sources.ytdlp.releases import Releases
from spotsyncd.sources.ytdlp.runtime import YtDlpRuntime, source_of

URL = "https://www.youtube.com/watch?v=aaaaaaaaaaa"


@pytest.fixture
def on_probation(tmp_path: Path) -> Releases:
    """A switch from the installed yt-dlp to the installed one again (no import of another
    release in the test process), on probation for YouTube."""
    releases = Releases(tmp_path)
    releases.switch(
        None, kind="switch", reason="test", probation={"sources": ["youtube"], "downloads": 2}
    )
    return releases


def test_sources_are_named_by_site() -> None:
    assert source_of(URL) == source_of("https://youtu.be/aaaaaaaaaaa") == "youtube"
    assert source_of("https://music.youtube.com/watch?v=a") == "youtube"
    assert source_of("https://www.soundcloud.com/x/y") == "soundcloud.com"
    assert source_of("http://127.0.0.1:8000/a.mp3") == "127.0.0.1"


def test_all_first_downloads_failing_calls_for_a_rollback(on_probation: Releases) -> None:
    calls: list[str] = []
    runtime = YtDlpRuntime(on_probation, on_probation_failed=calls.append)
    runtime.record(URL, "network_down")  # says nothing about the release
    runtime.record("https://soundcloud.com/a/b", "transient")  # not a watched source
    runtime.record(URL, "transient")
    assert calls == []
    runtime.record(URL, "bot_check")
    assert len(calls) == 1 and "the first 2 downloads from youtube" in calls[0]
    runtime.record(URL, "transient")
    assert len(calls) == 1  # one verdict


def test_one_success_ends_the_watch(on_probation: Releases) -> None:
    calls: list[str] = []
    runtime = YtDlpRuntime(on_probation, on_probation_failed=calls.append)
    runtime.record(URL, None)
    runtime.record(URL, "transient")
    runtime.record(URL, "transient")
    assert calls == []
    assert on_probation.read().probation is None  # every watched source proved itself


def test_without_a_callback_the_pointer_itself_rolls_back(tmp_path: Path) -> None:
    releases = Releases(tmp_path)
    package = releases.folder("2099.1.1") / "yt_dlp"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    # Pointed at it on disk only: this process keeps the yt-dlp it imported.
    releases.switch(
        "2099.1.1", kind="switch", reason="test", probation={"sources": ["youtube"], "downloads": 1}
    )
    runtime = YtDlpRuntime(None)
    runtime.releases = releases
    runtime.record(URL, "permanent")
    assert releases.read().active is None
    assert releases.read().history[-1]["kind"] == "rollback"


_BROKEN_SWITCH = """
import sys
from pathlib import Path
from spotsyncd.sources.ytdlp.releases import Releases
from spotsyncd.sources.ytdlp.runtime import YtDlpRuntime

releases = Releases(Path(sys.argv[1]))
runtime = YtDlpRuntime(releases)
before = runtime.version
with runtime.using():
    runtime.module().YoutubeDL({"quiet": True}).close()
releases.switch("2099.9.9", kind="switch", reason="test")
with runtime.using():  # the switch: the release will not import
    runtime.module().YoutubeDL({"quiet": True}).close()
print(before, runtime.version, releases.read().active, releases.read().history[-1]["kind"])
"""


@pytest.mark.e2e  # yt-dlp imported twice, in a process of its own (not this test process)
def test_a_release_that_does_not_import_leaves_the_one_that_ran(tmp_path: Path) -> None:
    import subprocess
    import sys

    releases = Releases(tmp_path)
    package = releases.folder("2099.9.9") / "yt_dlp"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('a broken build')\n")
    done = subprocess.run([sys.executable, "-c", _BROKEN_SWITCH, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    before, after, active, kind = done.stdout.split()
    assert before == after and active == "None" and kind == "rollback"
    assert "did not import (a broken build); staying with yt-dlp" in done.stderr


def test_the_first_calls_of_two_threads_load_the_plugins_once_before_either_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Celery worker's threads start their first downloads together: each YoutubeDL built
    then would load yt-dlp's plugins, and the PO-token plugin registered twice logs tracebacks."""
    import threading
    import time
    import types

    built: list[float] = []
    entered: list[float] = []

    class YoutubeDL:  # the first one built loads the plugins: slow, and not to be done twice
        def __init__(self, params: dict[str, object]) -> None:
            time.sleep(0.2)
            built.append(time.monotonic())

        def close(self) -> None:
            pass

    fake = types.ModuleType("yt_dlp")
    fake.YoutubeDL = YoutubeDL  # type: ignore[attr-defined]
    runtime = YtDlpRuntime(None)
    monkeypatch.setattr(runtime, "module", lambda: fake)

    def call() -> None:
        with runtime.using():
            entered.append(time.monotonic())

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(built) == 1  # once, by whichever came first
    assert len(entered) == 2 and min(entered) >= built[0]  # and before either call ran
