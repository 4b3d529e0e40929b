"""The identity step in the pipeline, with a real ledger and in-memory adapters: a mismatch is
never filed (the next candidate is tried, then review), audio the user chose is filed as it
is, and the lookups wait holding no slot."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from spotsyncd.core.config import AudioConfig
from spotsyncd.core.models import (
    Candidate,
    Fingerprint,
    Identity,
    Processed,
    TrackMeta,
    Verdict,
)
from spotsyncd.core.protocols import Adapters, IdentityStep, LookupCache, SharedTurn
from spotsyncd.engine.jobs.oneshot import ForegroundRun, Tracker
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger
from tests.engine.jobs.test_oneshot import ListSearcher
from tests.engine.jobs.test_worker import CopyProcessor, FakeDownloader, MemoryTagger, _config
from tests.support.waiting import wait_for

BASE = "http://127.0.0.1:9"
SONG = Candidate("vqsong00001", "Veridis Quo", ("Daft Punk",), album="Discovery",
                 duration_s=345, kind="song", url=f"{BASE}/song.mp3")  # fmt: skip
VIDEO = Candidate("vqvideo0001", "Daft Punk - Veridis Quo (Official Audio)", ("Daft Punk",),
                  duration_s=345, kind="video", url=f"{BASE}/video.mp3")  # fmt: skip
LIVE = Candidate("vqlive00001", "Daft Punk - Veridis Quo (Live)", ("Daft Punk",),
                 duration_s=350, kind="video", url=f"{BASE}/live.mp3")  # fmt: skip


class FakeIdentity:
    """Its fingerprint is the file's bytes (the fake downloader writes the URL into them);
    ``verdicts`` says what AcoustID would make of each URL's audio."""

    def __init__(
        self, verdicts: dict[str, Verdict], stages: Any = None, *, fingerprints: bool = True
    ) -> None:
        self.fingerprints = fingerprints
        self.verdicts = verdicts
        self.stages = stages
        self.slots_held_while_looking: list[int] = []
        self.fingerprinted: list[Path] = []  # by a process of its own
        self.searched: list[bool] = []  # recording_for's ``search`` each time it was asked

    def _looking(self) -> None:
        pool_stages = self.stages() if callable(self.stages) else None
        if pool_stages is not None:
            self.slots_held_while_looking.append(
                int(pool_stages.io_gate.holds()) + int(pool_stages.cpu_gate.holds())
            )

    def recording_for(self, meta: TrackMeta, *, search: bool = True) -> Identity | None:
        self._looking()
        self.searched.append(search)
        return Identity(recording_id="0383dadf-2a4e-4d10-a46a-e9e041da8eb3",
                        equivalent_ids=("0383dadf-2a4e-4d10-a46a-e9e041da8eb3",))  # fmt: skip

    def fingerprint(self, path: Path) -> Fingerprint | None:
        self.fingerprinted.append(path)
        return Fingerprint(path.read_bytes().decode("latin-1"), 345.0)

    def check(self, fingerprint: Fingerprint | None, asked: Identity | None,
              meta: TrackMeta) -> Identity:  # fmt: skip
        self._looking()
        if not self.fingerprints:
            assert fingerprint is None
            return Identity(verdict=Verdict.UNVERIFIED, reason="no key")
        assert fingerprint is not None and asked is not None
        url = fingerprint.value.removeprefix("ID3")
        verdict = self.verdicts[url]
        return Identity(verdict=verdict, reason=f"{url} is {verdict}",
                        recording_id=asked.recording_id,
                        acoustid_id="acoustid-" + url[-9:])  # fmt: skip


class PrintingProcessor(CopyProcessor):
    """Takes the fingerprint (the file's bytes, as ``FakeIdentity``'s) in its own "encode"
    when asked, as ``FfmpegAudioProcessor`` does from its decode."""

    def __init__(self) -> None:
        self.asked: list[bool] = []

    def process(
        self,
        src: Path,
        dest_dir: Path,
        settings: AudioConfig,
        *,
        cancel: threading.Event | None = None,
        fingerprint: bool = False,
    ) -> Processed:
        self.asked.append(fingerprint)
        done = super().process(src, dest_dir, settings, cancel=cancel)
        if not fingerprint:
            return done
        return replace(done, fingerprint=Fingerprint(src.read_bytes().decode("latin-1"), 345.0))


def _run(tmp_path: Path, lines: list[str], candidates: Sequence[Candidate],
         verdicts: dict[str, Verdict], processor: Any = None,
         fingerprints: bool = True, kind: type[FakeIdentity] = FakeIdentity,
         ) -> tuple[Any, ...]:  # fmt: skip
    config = _config(tmp_path)
    ledger = Ledger(config.ledger_path)
    downloader = FakeDownloader()
    downloader.bot_check = False
    holder: dict[str, Any] = {}
    step = kind(verdicts, stages=lambda: holder.get("stages"), fingerprints=fingerprints)

    def identity(cache: LookupCache, turn: SharedTurn | None) -> IdentityStep:
        assert cache is ledger
        assert turn is not None  # the budget every process shares, not a pacer of its own
        return step

    adapters = Adapters(downloader, processor or CopyProcessor(), MemoryTagger(),
                        searchers=[ListSearcher(candidates)], identity=identity)  # fmt: skip
    added = ledger.add_links([parse_line(line) for line in lines])
    roots = [a.track_id for a in added]
    run = ForegroundRun(config, ledger, set(roots), lambda cfg: adapters)
    holder["stages"] = run.pool.stages
    tracker = Tracker(ledger, roots, config.library_dir)
    run.start()
    try:
        wait_for(lambda: tracker.poll().finished, 15, what="the foreground run to finish")
    finally:
        run.stop()
    return ledger, downloader, step


def test_a_mismatch_tries_the_next_candidate_and_files_the_verified_one(tmp_path: Path) -> None:
    verdicts = {SONG.watch_url: Verdict.MISMATCH, VIDEO.watch_url: Verdict.VERIFIED}
    ledger, downloader, step = _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG, VIDEO, LIVE],
                                    verdicts)  # fmt: skip
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.state == "done", track
    assert downloader.calls == [SONG.watch_url, VIDEO.watch_url]
    assert track.identity is not None and track.identity.verdict == Verdict.VERIFIED
    assert track.identity.acoustid_id == "acoustid-video.mp3"
    assert step.slots_held_while_looking and not any(step.slots_held_while_looking)
    kinds = [e["kind"] for e in ledger.events_for(track.id)]
    assert kinds[-2:] == ["done", "verified"]
    ledger.close()


def test_the_encode_takes_the_fingerprint_and_no_separate_process_runs(tmp_path: Path) -> None:
    processor = PrintingProcessor()
    ledger, downloader, step = _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG, VIDEO],
                                    {SONG.watch_url: Verdict.VERIFIED}, processor)  # fmt: skip
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.state == "done", track
    assert downloader.calls == [SONG.watch_url]
    assert processor.asked == [True]  # processed once, fingerprinted in the same encode
    assert step.fingerprinted == []
    assert track.identity is not None and track.identity.verdict == Verdict.VERIFIED
    ledger.close()


def test_after_a_mismatch_candidates_are_checked_before_they_are_encoded(tmp_path: Path) -> None:
    """The first audio's encode takes the fingerprint; once it proved another recording, the
    next candidates are fingerprinted first by a process of their own, and only the one that
    verifies is encoded (a wrong candidate costs no encode)."""
    verdicts = {SONG.watch_url: Verdict.MISMATCH, VIDEO.watch_url: Verdict.MISMATCH,
                LIVE.watch_url: Verdict.VERIFIED}  # fmt: skip
    processor = PrintingProcessor()
    ledger, downloader, step = _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG, VIDEO, LIVE],
                                    verdicts, processor)  # fmt: skip
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.state == "done", track
    assert downloader.calls == [SONG.watch_url, VIDEO.watch_url, LIVE.watch_url]
    assert processor.asked == [True, False]  # the first candidate, then only the verified one
    assert len(step.fingerprinted) == 2  # the second and third candidates, on their own
    assert track.identity is not None and track.identity.verdict == Verdict.VERIFIED
    assert track.identity.acoustid_id == "acoustid-/live.mp3"
    assert step.slots_held_while_looking and not any(step.slots_held_while_looking)
    ledger.close()


def test_without_an_acoustid_key_nothing_is_fingerprinted(tmp_path: Path) -> None:
    processor = PrintingProcessor()
    ledger, _downloader, step = _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG], {},
                                     processor, fingerprints=False)  # fmt: skip
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.state == "done", track
    assert processor.asked == [False] and step.fingerprinted == []
    assert track.to_json()["verdict"] == "unverified"
    ledger.close()


def test_a_stream_copy_is_fingerprinted_by_a_process_of_its_own(tmp_path: Path) -> None:
    ledger, _downloader, step = _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG],
                                     {SONG.watch_url: Verdict.VERIFIED})  # fmt: skip
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.state == "done", track
    assert len(step.fingerprinted) == 1  # CopyProcessor gives no fingerprint
    assert track.identity is not None and track.identity.verdict == Verdict.VERIFIED
    ledger.close()


def test_unverified_audio_is_filed_as_before(tmp_path: Path) -> None:
    verdicts = {SONG.watch_url: Verdict.UNVERIFIED}
    ledger, downloader, _step = _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG, VIDEO],
                                     verdicts)  # fmt: skip
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.state == "done" and downloader.calls == [SONG.watch_url]
    assert track.to_json()["verdict"] == "unverified"
    ledger.close()


def test_when_no_candidate_verifies_the_track_waits_for_review(tmp_path: Path) -> None:
    verdicts = dict.fromkeys((SONG.watch_url, VIDEO.watch_url, LIVE.watch_url), Verdict.MISMATCH)
    ledger, downloader, _step = _run(tmp_path, ["Daft Punk - Veridis Quo"], [SONG, VIDEO, LIVE],
                                     verdicts)  # fmt: skip
    key = "search:daft punk - veridis quo"
    track = ledger.track(key)
    assert track is not None and track.state == "review" and not track.path
    assert len(downloader.calls) == 3  # at most three candidates' audio
    checked = [c for c in ledger.candidates(key) if c.get("verdict")]
    assert {c["url"] for c in checked} == set(verdicts)
    assert not list((tmp_path / "state" / "staging").glob("*/*"))  # nothing left in staging
    # Accepted: the matcher's choice is filed, without the IDs of the recording asked for.
    ledger.accept_review(key)
    ledger.close()
    verdicts_after = {SONG.watch_url: Verdict.MISMATCH}
    config = _config(tmp_path)
    ledger2 = Ledger(config.ledger_path)
    downloader2 = FakeDownloader()
    downloader2.bot_check = False
    step = FakeIdentity(verdicts_after)
    adapters = Adapters(downloader2, CopyProcessor(), MemoryTagger(),
                        searchers=[ListSearcher([SONG])],
                        identity=lambda cache, turn: step)  # fmt: skip
    track = ledger2.track(key)
    assert track is not None
    run = ForegroundRun(config, ledger2, {track.id}, lambda cfg: adapters)
    tracker = Tracker(ledger2, [track.id], config.library_dir)
    run.start()
    try:
        wait_for(lambda: tracker.poll().finished, 15, what="the accepted track to be filed")
    finally:
        run.stop()
    filed = ledger2.track(key)
    assert filed is not None and filed.state == "done" and downloader2.calls == [SONG.watch_url]
    assert filed.identity is not None and filed.identity.verdict == Verdict.MISMATCH
    assert filed.identity.recording_id is None and "filed as chosen" in filed.identity.reason
    ledger2.close()


class UnknownIsrc(FakeIdentity):
    """MusicBrainz knows no recording by the track's ISRC; its search finds one."""

    SEARCHED = "5ad43d2f-3c74-4a52-b8b8-2ac1a5b1e6a1"

    def recording_for(self, meta: TrackMeta, *, search: bool = True) -> Identity | None:
        self.searched.append(search)
        return Identity(recording_id=self.SEARCHED) if search else None

    def check(self, fingerprint: Fingerprint | None, asked: Identity | None,
              meta: TrackMeta) -> Identity:  # fmt: skip
        assert asked is None and fingerprint is not None
        url = fingerprint.value.removeprefix("ID3")
        verdict = self.verdicts[url]
        named = "d3a6ad54-0000-4000-8000-000000000001" if verdict == Verdict.VERIFIED else None
        return Identity(verdict=verdict, reason=f"{url} is {verdict}", recording_id=named,
                        acoustid_id="acoustid-" + url[-9:])  # fmt: skip


def test_an_unknown_isrc_is_searched_only_when_acoustid_cannot_name_the_audio(
    tmp_path: Path,
) -> None:
    """With AcoustID on, a track whose ISRC MusicBrainz does not know costs one MusicBrainz
    request when the fingerprint names the recording (no search), and the search comes after
    the check only for audio AcoustID could not name (its IDs go to the tags, unverified)."""
    line = ["Daft Punk - Veridis Quo"]
    verified = {SONG.watch_url: Verdict.VERIFIED}
    ledger, _downloader, step = _run(tmp_path, line, [SONG], verified, kind=UnknownIsrc)
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.state == "done", track
    assert step.searched == [False]  # the ISRC only: AcoustID named it
    assert track.identity is not None and track.identity.verdict == Verdict.VERIFIED
    ledger.close()

    (tmp_path / "2").mkdir()
    unverified = {SONG.watch_url: Verdict.UNVERIFIED}
    ledger, _downloader, step = _run(tmp_path / "2", line, [SONG], unverified, kind=UnknownIsrc)
    track = ledger.track("search:daft punk - veridis quo")
    assert track is not None and track.state == "done", track
    assert step.searched == [False, True]  # searched after AcoustID could not say
    assert track.identity is not None and track.identity.verdict == Verdict.UNVERIFIED
    assert track.identity.recording_id == UnknownIsrc.SEARCHED
    assert track.identity.acoustid_id == "acoustid-/song.mp3"
    ledger.close()
