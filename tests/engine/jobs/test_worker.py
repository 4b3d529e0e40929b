"""The worker pool with a real ledger and in-memory adapters: circuits, deferrals, retries,
cancellation. (The real adapters are exercised end to end in tests/e2e.)"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from spotsyncd.core.config import AudioConfig, Config, load_config
from spotsyncd.core.errors import (
    BotCheckError,
    CancelledError,
    CredentialsError,
    NetworkDownError,
    PermanentError,
    RateLimitedError,
)
from spotsyncd.core.models import Candidate, Downloaded, Identity, Listing, Processed, TrackMeta
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.jobs.host_gate import HostGate
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.jobs.worker import WorkerPool
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.engine.resilience.offline import OfflineWatch
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger
from spotsyncd.system.netcheck import Reach
from tests.support.waiting import wait_for


class FakeDownloader:
    def __init__(self) -> None:
        self.bot_check = True
        self.calls: list[str] = []
        self.block = threading.Event()
        self.circuits: Circuits | None = None
        self.calls_while_open: list[str] = []  # YouTube calls made while its circuit was open

    def download(
        self,
        url: str,
        dest_dir: Path,
        *,
        progress: Any = None,
        cancel: threading.Event | None = None,
    ) -> Downloaded:
        self.calls.append(url)
        circuits = self.circuits
        if "youtube.com" in url and circuits and circuits.snapshot().get("youtube", {}).get("open"):
            self.calls_while_open.append(url)
        if "youtube.com" in url and self.bot_check:
            raise BotCheckError("Sign in to confirm you're not a bot")
        if "slow" in url:
            while cancel is not None and not cancel.wait(0.05):
                pass
            raise CancelledError("stopping")
        path = dest_dir / "source.mp3"
        path.write_bytes(b"ID3" + url.encode())
        return Downloaded(
            path, {"id": url}, TrackMeta(title=url.rsplit("/", 1)[-1], artists=("Fake",))
        )

    def list(self, url: str) -> Listing | None:
        return None


class CopyProcessor:
    def process(
        self,
        src: Path,
        dest_dir: Path,
        settings: AudioConfig,
        *,
        cancel: threading.Event | None = None,
        fingerprint: bool = False,
    ) -> Processed:
        out = dest_dir / "audio.mp3"
        shutil.copy(src, out)
        return Processed(out, 1.0)


class MemoryTagger:
    def __init__(self) -> None:
        self.keys: dict[str, str] = {}

    def write(
        self,
        path: Path,
        meta: TrackMeta,
        *,
        key: str,
        cover: bytes | None = None,
        replaygain: Processed | None = None,
        id3_version: int = 4,
        identity: Identity | None = None,
    ) -> None:
        path.write_bytes(path.read_bytes() + b"|" + key.encode())

    def read(self, path: Path) -> TrackMeta:
        return TrackMeta()

    def read_key(self, path: Path) -> str | None:
        data = path.read_bytes()
        return data.rsplit(b"|", 1)[-1].decode() if b"|" in data else None


class FakeSpotify:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def track(self, track_id: str) -> TrackMeta:
        self.calls += 1
        raise self.error

    def list(self, key: str) -> Listing:
        self.calls += 1
        raise self.error


def _config(tmp_path: Path, workers: int = 2) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"library_dir: {tmp_path}/lib\nstate_dir: {tmp_path}/state\n"
        f"download: {{workers: {workers}, max_retries: 1, backoff_seconds: 0.05}}\n"
    )
    config = load_config(path, env={})
    for folder in (config.library_dir, config.staging_dir):
        folder.mkdir(parents=True, exist_ok=True)
    return config


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    config = _config(tmp_path, workers=getattr(request, "param", 2))
    ledger = Ledger(config.ledger_path)
    circuits = Circuits(config.state_dir / "circuits.json", base_backoff_s=0.3)
    downloader = FakeDownloader()
    downloader.circuits = circuits
    spotify = FakeSpotify(RateLimitedError("429", retry_after=86400, service="spotify"))
    adapters = Adapters(downloader, CopyProcessor(), MemoryTagger(), spotify=spotify)
    pool = WorkerPool(config, ledger, Pipeline(config, ledger, adapters, circuits), circuits)
    yield config, ledger, circuits, downloader, spotify, pool
    pool.stop(timeout_s=2)
    ledger.close()


def _add(ledger: Ledger, lines: Sequence[str]) -> None:
    ledger.add_links([parse_line(line) for line in lines])


# One worker: two workers may both start a YouTube job before the first bot check opens the
# circuit, which is right (a job in flight cannot be recalled) but not what this test looks at.
@pytest.mark.e2e
@pytest.mark.parametrize("world", [1], indirect=True)
def test_bot_check_opens_youtube_circuit_others_continue_first_success_closes(world: Any) -> None:
    config, ledger, circuits, downloader, _spotify, pool = world
    _add(
        ledger,
        [
            "https://youtu.be/aaaaaaaaaaa",
            "https://www.youtube.com/watch?v=bbbbbbbbbbb",
            "http://127.0.0.1:9/direct.mp3",
        ],
    )
    opened: list[tuple[float, float]] = []  # (when, until) of each YouTube opening
    record = circuits.record_failure

    def recording(lane: str, exc: BaseException) -> float | None:
        now, until = time.time(), record(lane, exc)
        # The call's guard and then the worker report the same failure: it opens once.
        if lane == "youtube" and until is not None and until not in [u for _, u in opened]:
            opened.append((now, until))
        return until

    circuits.record_failure = recording
    pool.start()
    wait_for(lambda: ledger.counts()["done"] == 1)  # the direct link is not held up
    # Opened by the bot check (recorded as it happens: its 0.3 s may be over by now, under load)
    assert opened
    snapshot = Circuits.read(config.state_dir / "circuits.json")
    assert "bot" in str(snapshot["youtube"]["reason"])
    assert ledger.counts()["failed"] == 0  # YouTube jobs wait, they do not fail
    assert sum("youtube" in c for c in downloader.calls) >= 1
    # The circuit stopped the second video from even trying: YouTube was only called before it
    # opened and when its back-off ran out (half-open), never while it was open.
    assert downloader.calls_while_open == []
    # Still blocked at half-open: the next failure doubles the back-off (recorded as it
    # happens: under load both may be past before a snapshot could be read).
    wait_for(lambda: len(opened) >= 2, 5)
    (first_at, first_until), (second_at, second_until) = opened[:2]
    assert (second_until - second_at) > (first_until - first_at) + 0.25
    downloader.bot_check = False
    wait_for(lambda: ledger.counts()["done"] == 3, 10)
    assert "youtube" not in circuits.snapshot()  # the first success closed it


def test_spotify_rate_limit_defers_spotify_work_only(world: Any) -> None:
    _config_, ledger, circuits, _downloader, spotify, pool = world
    _add(
        ledger,
        [
            "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
            "https://open.spotify.com/track/3n3Ppam7vgaVa1iaRUc9Lp",
            "http://127.0.0.1:9/direct.mp3",
        ],
    )
    pool.start()
    wait_for(lambda: ledger.counts()["done"] == 1)
    wait_for(lambda: ledger.counts()["running"] == 0)
    assert spotify.calls == 1  # the second Spotify job never asked: the circuit deferred it
    pending = ledger.tracks(state=ledger_state("pending"))
    assert len(pending) == 2 and all(
        t.retry_at and t.retry_at > time.time() + 86000 for t in pending
    )
    assert all(t.attempts == 0 for t in pending)  # a deferral spends no attempt
    started = time.monotonic()
    pool.stop(timeout_s=5)
    assert time.monotonic() - started < 2  # a day-long Retry-After blocks nobody


def test_expired_login_pauses_spotify_instead_of_failing_jobs(world: Any) -> None:
    _config_, ledger, circuits, _downloader, spotify, pool = world
    spotify.error = CredentialsError(
        "Spotify login expired: re-run 'spotsyncd auth spotify'", service="spotify"
    )
    _add(ledger, [f"spotify:track:{n:022d}" for n in range(5)])
    started = time.monotonic()  # the circuit opens after this
    pool.start()
    wait_for(lambda: "spotify" in circuits.snapshot())
    wait_for(lambda: ledger.counts()["running"] == 0)
    # One call, then the others wait on the circuit: at most one more per 0.3 s back-off that
    # can have passed since it opened (a loaded machine may take that long to get here), never
    # one per job at once.
    allowed = 1 + int((time.monotonic() - started) / 0.3)
    assert ledger.counts()["failed"] == 0 and 1 <= spotify.calls <= min(allowed, 4)
    assert "auth spotify" in str(circuits.snapshot()["spotify"]["reason"])
    # Stopped first: the circuit's back-off here is 0.3 s, after which a worker tries the next
    # job and opens it again (on a loaded machine, between the two lines below).
    pool.stop(timeout_s=2)
    circuits.clear_credentials("spotify")
    assert "spotify" not in circuits.snapshot()


def test_stop_cancels_in_flight_job_and_it_stays_pending(world: Any) -> None:
    _config_, ledger, _circuits, _downloader, _spotify, pool = world
    _add(ledger, ["http://127.0.0.1:9/slow.mp3"])
    pool.start()
    wait_for(lambda: ledger.counts()["running"] == 1)
    started = time.monotonic()
    pool.stop(timeout_s=5)
    assert time.monotonic() - started < 1
    track = ledger.tracks()[0]
    assert track.state == "pending" and track.attempts == 0


def ledger_state(name: str) -> Any:
    from spotsyncd.core.models import JobState

    return JobState(name)


class GatedProcessor(CopyProcessor):
    """Processes one file at a time, and only when the test says so."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.started: list[Path] = []

    def process(
        self,
        src: Path,
        dest_dir: Path,
        settings: AudioConfig,
        *,
        cancel: threading.Event | None = None,
        fingerprint: bool = False,
    ) -> Processed:
        self.started.append(src)
        while not self.go.wait(0.02):
            if cancel is not None and cancel.is_set():
                raise CancelledError("stopping")
        return super().process(src, dest_dir, settings, cancel=cancel)


def test_downloads_run_ahead_while_the_cores_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"library_dir: {tmp_path}/lib\nstate_dir: {tmp_path}/state\n"
        "audio: {workers: 1}\ndownload: {workers: 2}\n"
    )
    config = load_config(path, env={})
    for folder in (config.library_dir, config.staging_dir):
        folder.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(config.ledger_path)
    circuits = Circuits(config.state_dir / "circuits.json")
    downloader, processor = FakeDownloader(), GatedProcessor()
    adapters = Adapters(downloader, processor, MemoryTagger())
    pool = WorkerPool(config, ledger, Pipeline(config, ledger, adapters, circuits), circuits)
    _add(ledger, [f"http://127.0.0.1:9/track{n}.mp3" for n in range(5)])
    try:
        with caplog.at_level("INFO", logger="spotsyncd.engine.jobs.worker"):
            pool.start()
            # One file processing (the only CPU slot), two more downloaded behind it.
            wait_for(lambda: len(downloader.calls) == 3)
            time.sleep(0.3)
            assert len(downloader.calls) == 3, "only download.workers jobs run ahead"
            assert len(processor.started) == 1
            assert ledger.counts()["running"] == 3 and ledger.counts()["pending"] == 2
            processor.go.set()
            wait_for(lambda: ledger.counts()["done"] == 5)
        assert "cpu_wait" in caplog.text and "download" in caplog.text
    finally:
        pool.stop(timeout_s=2)
        ledger.close()


class KnownSpotify:
    """Spotify metadata that always answers (the search is what fails)."""

    def track(self, track_id: str) -> TrackMeta:
        return TrackMeta(title="Veridis Quo", artists=("Daft Punk",), duration_s=345)

    def list(self, key: str) -> Listing:
        raise AssertionError("not a collection")


class UnreachableSearcher:
    name = "ytmusic"

    def __init__(self) -> None:
        self.calls = 0

    def search(self, query: str, *, limit: int = 10) -> list[Any]:
        self.calls += 1
        raise NetworkDownError("cannot reach music.youtube.com: refused", host="music.youtube.com")


def test_a_search_that_cannot_reach_anything_waits_for_the_network(tmp_path: Path) -> None:
    """A Spotify track whose search finds no host while every host is down: the offline
    circuit opens and the job waits for it without spending an attempt (no fast retries)."""
    config = _config(tmp_path, workers=1)
    ledger = Ledger(config.ledger_path)
    circuits = Circuits(config.state_dir / "circuits.json")
    down = [Reach("https://music.youtube.com/", "music.youtube.com:443", False, "dns", "no", 0.0)]
    offline = OfflineWatch(circuits, lambda: ["https://music.youtube.com/"],
                           probe_every_s=lambda: 60.0, prober=lambda urls: down)  # fmt: skip
    searcher = UnreachableSearcher()
    adapters = Adapters(
        FakeDownloader(), CopyProcessor(), MemoryTagger(), searchers=[searcher],
        spotify=KnownSpotify(),
    )  # fmt: skip
    pipeline = Pipeline(config, ledger, adapters, circuits)
    pool = WorkerPool(config, ledger, pipeline, circuits, offline=HostGate(offline, ledger))
    _add(ledger, ["https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"])
    try:
        pool.start()
        wait_for(lambda: circuits.offline_circuit() is not None)
        wait_for(lambda: ledger.counts()["running"] == 0)
        track = ledger.tracks()[0]
        assert track.state == "pending" and track.attempts == 0
        assert track.retry_at is not None and track.retry_at > time.time() + 30
        assert "offline" in str(track.error)
        calls = searcher.calls
        time.sleep(0.3)
        assert searcher.calls == calls  # nothing is searched while offline
    finally:
        pool.stop(timeout_s=2)
        ledger.close()


def test_a_job_found_filed_by_an_interrupted_run_leaves_nothing_in_staging(world: Any) -> None:
    """Killed after the final move, before the ledger said done: the restart finds the file,
    downloads nothing, and removes what the killed run left in staging."""
    config, ledger, _circuits, downloader, _spotify, pool = world
    _add(ledger, ["http://127.0.0.1:9/moved.mp3"])
    track = ledger.tracks()[0]
    assert ledger.reserve_path(track.id, "Fake/moved.mp3")
    filed = config.library_dir / "Fake" / "moved.mp3"
    filed.parent.mkdir(parents=True)
    filed.write_bytes(b"ID3audio|" + track.key.encode())
    leftover = config.staging_dir / f"track-{track.id}" / "out"
    leftover.mkdir(parents=True)
    (leftover / "audio.mp3").write_bytes(b"ID3audio")
    pool.start()
    wait_for(lambda: ledger.counts()["done"] == 1)
    assert downloader.calls == []
    assert not any(config.staging_dir.iterdir())
    assert ledger.tracks()[0].path == "Fake/moved.mp3"


class GoneSpotify:
    """Spotify that no longer has the track (or cannot be reached): every lookup refused."""

    def __init__(self) -> None:
        self.calls = 0

    def track(self, track_id: str) -> TrackMeta:
        self.calls += 1
        raise PermanentError(f"Spotify has no track {track_id}")

    def list(self, key: str) -> Listing:
        raise AssertionError("not a collection")


class CannedSearcher:
    name = "ytmusic"

    def __init__(self, answer: list[Candidate]) -> None:
        self.answer = answer
        self.queries: list[str] = []

    def search(self, query: str, *, limit: int = 10) -> list[Candidate]:
        self.queries.append(query)
        return self.answer


def test_a_playlist_file_s_spotify_entry_falls_back_to_the_file_s_metadata(
    tmp_path: Path,
) -> None:
    """An Exportify row (title, artist, album, ISRC, length; no cover): Spotify is still asked
    (the file lacks its cover and track numbers); when it cannot answer, the file's metadata is
    what the matcher searches with and what the track is tagged with."""
    config = _config(tmp_path, workers=1)
    ledger = Ledger(config.ledger_path)
    circuits = Circuits(config.state_dir / "circuits.json")
    spotify = GoneSpotify()
    edit = Candidate("edit000000a", "Strobe", ("deadmau5",), duration_s=214, kind="song",
                     url="http://127.0.0.1:9/edit.mp3")  # fmt: skip
    full = Candidate("full000000a", "Strobe", ("deadmau5",), duration_s=637, kind="song",
                     album="Better Name", url="http://127.0.0.1:9/full.mp3")  # fmt: skip
    searcher = CannedSearcher([edit, full])
    downloader = FakeDownloader()
    adapters = Adapters(downloader, CopyProcessor(), MemoryTagger(), searchers=[searcher],
                        spotify=spotify)  # fmt: skip
    pool = WorkerPool(config, ledger, Pipeline(config, ledger, adapters, circuits), circuits)
    from_file = TrackMeta(title="Strobe", artists=("deadmau5",), album="For Lack of a Better Name",
                          isrc="CAN111000001", duration_s=637.0)  # fmt: skip
    ledger.add_links([parse_line("spotify:track:0000000000000000000042")], metas=[from_file])
    try:
        pool.start()
        wait_for(lambda: ledger.counts().get("done") == 1)
    finally:
        pool.stop(timeout_s=2)
    try:
        track = ledger.tracks()[0]
        assert spotify.calls == 1 and searcher.queries
        assert downloader.calls == ["http://127.0.0.1:9/full.mp3"]  # the file's length chose
        assert (track.meta.title, track.meta.album, track.meta.isrc) == (
            "Strobe", "For Lack of a Better Name", "CAN111000001"
        )  # fmt: skip
    finally:
        ledger.close()


def test_search_lines_keep_youtubes_budget_across_workers(tmp_path: Path) -> None:
    """The pipeline's searches take YouTube's budget turns (``sources.youtube.max_concurrent``),
    as its downloads do: four workers matching four search lines search one at a time."""
    from spotsyncd.engine.resilience.budgets import budgets_for

    path = tmp_path / "config.yaml"
    path.write_text(
        f"library_dir: {tmp_path}/lib\nstate_dir: {tmp_path}/state\n"
        "download: {workers: 4, max_retries: 1}\n"
        "sources: {youtube: {max_concurrent: 1}}\n"
    )
    config = load_config(path, env={})
    for folder in (config.library_dir, config.staging_dir):
        folder.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()
    now_in, most, searched = [0], [0], [0]

    class Searcher:
        name = "counting"

        def search(self, query: str, *, limit: int = 10) -> Sequence[Candidate]:
            with lock:
                now_in[0] += 1
                most[0] = max(most[0], now_in[0])
                searched[0] += 1
            time.sleep(0.1)
            with lock:
                now_in[0] -= 1
            title = query.split(" ", 2)[-1]
            return [Candidate("direct0000a", title, ("Fake",), duration_s=None, kind="song",
                              url=f"http://127.0.0.1:9/{title.replace(' ', '_')}.mp3")]  # fmt: skip

    ledger = Ledger(config.ledger_path)
    circuits = Circuits(config.state_dir / "circuits.json")
    downloader = FakeDownloader()
    adapters = Adapters(downloader, CopyProcessor(), MemoryTagger(), searchers=[Searcher()])
    budgets = budgets_for(lambda: config, ledger, "test")
    pipeline = Pipeline(config, ledger, adapters, circuits, budgets)
    pool = WorkerPool(config, ledger, pipeline, circuits)
    try:
        ledger.add_links([parse_line(f"Fake - Song {n}") for n in range(4)])
        pool.start()
        wait_for(lambda: searched[0] >= 4 and ledger.counts()["running"] == 0, timeout=30)
        assert most[0] == 1, most
    finally:
        pool.stop(timeout_s=2)
        ledger.close()
