"""Alerts: what happened in the ledger and the circuits becomes batched notifications (sent
by a recording sender here; tests/system/test_notify.py sends through real Apprise)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from spotsyncd.core.config import Config, NotifyConfig, load_config
from spotsyncd.core.errors import CredentialsError
from spotsyncd.core.models import ListedItem, Listing, TrackMeta
from spotsyncd.engine.resilience.alerts import Alerts
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger
from spotsyncd.system.notify import Delivery, Notifications


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def __call__(self, urls: Sequence[str], title: str, body: str) -> list[Delivery]:
        self.messages.append((title, body))
        return [Delivery("json://***", True)]


@pytest.fixture
def world(tmp_path: Path) -> Any:
    config = load_config(None, env={"SPOTSYNCD_STATE_DIR": str(tmp_path / "state"),
                                     "SPOTSYNCD_LIBRARY_DIR": str(tmp_path / "lib")})  # fmt: skip
    config.library_dir.mkdir(parents=True)
    notify = NotifyConfig(
        urls=("json://127.0.0.1:9/x",),
        on=("failed", "new_tracks", "review", "login_expired", "offline", "disk_low", "digest"),
        offline_after=2.0,
        disk_free_below=1 << 62,  # more than any disk has: always "low"
        digest_at="00:00",
        batch_seconds=0.2,
    )
    config = config.model_copy(update={"notify": notify})
    ledger = Ledger(config.ledger_path)
    circuits = Circuits(config.state_dir / "circuits.json")
    recorder = Recorder()
    notes = Notifications(notify.urls, batch_s=0.2, sender=recorder)
    alerts = Alerts(lambda: config, ledger, circuits, notes, tick_s=60)
    yield config, ledger, circuits, notes, alerts, recorder
    notes.stop()
    ledger.close()


def _flush(notes: Notifications) -> None:
    time.sleep(0.25)
    notes._send_due(flush=True)


def test_failures_and_follow_polls_become_one_message_each(world: Any) -> None:
    config, ledger, _circuits, notes, alerts, recorder = world
    alerts.start()  # old events are not news: only what happens from now on
    alerts._digest_day = time.strftime("%Y-%m-%d")
    ledger.add_links([parse_line(f"https://example.org/{n}.mp3") for n in range(30)])
    for _ in range(30):
        job = ledger.claim_next_job("w")
        assert job is not None
        ledger.fail_job(job.job_id, job.track.id, error_class="permanent", message="HTTP 404",
                        retryable=False, max_retries=3, backoff_s=1)  # fmt: skip
    follow = ledger.add_follow(parse_line("https://www.youtube.com/playlist?list=PLx"), name="mix",
                               interval_s=3600, options={}, origin="cli")  # fmt: skip
    items = tuple(
        ListedItem(parse_line(f"https://youtu.be/{n:011d}"), TrackMeta()) for n in range(3)
    )
    ledger.apply_listing(follow.id, Listing("Mix", items, "fp"), now=time.time())
    alerts.tick()
    _flush(notes)
    titles = [t for t, _ in recorder.messages]
    assert "spotsyncd: 30 track(s) failed for good" in titles
    assert "spotsyncd: new tracks from 1 follow poll(s)" in titles
    failed_body = next(b for t, b in recorder.messages if "failed" in t)
    assert "HTTP 404" in failed_body and "retrying will not help" in failed_body
    assert "… and 15 more" in failed_body and "spotsyncd retry --failed" in failed_body
    polls = next(b for t, b in recorder.messages if "new tracks" in t)
    assert "mix: 3 new" in polls


def test_a_track_in_review_is_told_with_what_to_do(world: Any) -> None:
    _config, ledger, _circuits, notes, alerts, recorder = world
    alerts.start()
    alerts._digest_day = time.strftime("%Y-%m-%d")
    ledger.add_links([parse_line("Daft Punk - Veridis Quo")])
    job = ledger.claim_next_job("w")
    assert job is not None
    ledger.hold_for_review(job.job_id, job.track.id, checked=[], identity=None,
                           message="no candidate's audio is the recording asked for")  # fmt: skip
    alerts.tick()
    _flush(notes)
    title, body = next((t, b) for t, b in recorder.messages if "review" in t)
    assert title == "spotsyncd: 1 track(s) wait for your review"
    assert "search:daft punk - veridis quo" in body and "recording asked for" in body
    assert "spotsyncd tracks --state review" in body


def test_offline_login_disk_and_digest(world: Any) -> None:
    _config, ledger, circuits, notes, alerts, recorder = world
    since = time.time() - 5
    circuits.open_offline("no network: a, b unreachable", time.time() + 60, since=since)
    circuits.record_failure("spotify", CredentialsError("Spotify login expired", "spotify"))
    alerts.tick()
    alerts.tick()  # told once per spell, not once per tick
    circuits.close_offline()
    alerts.tick()
    _flush(notes)
    titles = [t for t, _ in recorder.messages]
    clock = time.strftime("%H:%M", time.localtime(since))
    assert titles.count(f"spotsyncd: offline since {clock}") == 1
    assert "spotsyncd: back online" in titles
    assert titles.count("spotsyncd: Spotify login expired") == 1
    assert titles.count("spotsyncd: disk space low") == 1
    assert titles.count("spotsyncd: daily digest") == 1
    digest = next(b for t, b in recorder.messages if "digest" in t)
    assert "last 24 h: 0 downloaded" in digest and "waiting for a slow retry" in digest


def test_youtube_cookies_expiring_in_seven_days_are_told_once_with_what_to_do(
    world: Any, tmp_path: Path
) -> None:
    from tests.sources.ytdlp.test_cookies import SECRET, cookie_file

    config, ledger, circuits, notes, _alerts, recorder = world
    now = time.time()
    path = cookie_file(tmp_path / "cookies.txt", now + 6 * 86400)
    notify = config.notify.model_copy(update={"on": ("cookies",)})
    download = config.download.model_copy(update={"cookies_file": path})
    watched = config.model_copy(update={"notify": notify, "download": download})
    alerts = Alerts(lambda: watched, ledger, circuits, notes, tick_s=60)
    alerts.tick(now)
    alerts.tick(now + 7200)  # the same verdict an hour later: not told again
    _flush(notes)
    assert [t for t, _ in recorder.messages] == ["spotsyncd: YouTube cookies expire soon"]
    body = recorder.messages[0][1]
    assert "(in 5 days)" in body and "export fresh cookies.txt" in body and SECRET not in body
    cookie_file(path, now - 60)  # left alone, they expire: that is news again
    alerts.tick(now + 3 * 3600)
    _flush(notes)
    assert recorder.messages[-1][0] == "spotsyncd: YouTube cookies expired"


def test_nothing_when_no_urls(world: Any) -> None:
    config, ledger, circuits, _notes, _alerts, _recorder = world
    recorder = Recorder()
    quiet = Notifications((), sender=recorder)
    bare: Config = config.model_copy(update={"notify": NotifyConfig()})
    alerts = Alerts(lambda: bare, ledger, circuits, quiet)
    circuits.open_offline("no network", time.time() + 60, since=time.time() - 7200)
    alerts.tick()
    quiet._send_due(flush=True)
    assert recorder.messages == []


def test_many_youtube_failures_with_one_cause_are_one_summary(world: Any) -> None:
    _config, ledger, _circuits, notes, alerts, recorder = world
    alerts.start()
    alerts._digest_day = time.strftime("%Y-%m-%d")
    ledger.add_links([parse_line(f"https://youtu.be/{n:011d}") for n in range(40)])
    for _ in range(40):
        job = ledger.claim_next_job("w")
        assert job is not None
        ledger.fail_job(job.job_id, job.track.id, error_class="transient",
                        message="Unable to extract player response", retryable=True,
                        max_retries=0, backoff_s=1)  # fmt: skip
    alerts.tick()
    _flush(notes)
    titles = [t for t, _ in recorder.messages]
    assert "spotsyncd: downloads failing" in titles
    summary = next(b for t, b in recorder.messages if t == "spotsyncd: downloads failing")
    assert summary.startswith("- YouTube downloads failing since ")
    assert "(transient); yt-dlp " in summary and "days old" in summary
    assert "spotsyncd: 2 track(s) failed for good" in titles  # the streak's first two only
