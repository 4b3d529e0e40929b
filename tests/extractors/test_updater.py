"""The updater against a local package index (wheels of the installed yt-dlp with newer
versions, made here): notify tells once per release, install switches to a release whose
canary passes, refuses one whose canary fails and does not try it again by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.core.config import Config
from spotsyncd.extractors.trial import canary_urls, try_release
from spotsyncd.extractors.updater import Updater
from spotsyncd.extractors.watch import ExtractorWatch
from spotsyncd.ledger import Ledger
from spotsyncd.sources.ytdlp.releases import Releases
from tests.fakes.http_server import LoopbackServer
from tests.fakes.ytdlp_wheels import BREAK_EXTRACTION, build_release, index_url

GOOD, BROKEN = "2099.1.1", "2099.2.1"


@pytest.fixture(autouse=True)
def _pip_reads_only_the_test_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index" / "simple" / "yt-dlp"))


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        running.add("/tone.mp3", b"ID3" + bytes(2000), "audio/mpeg")
        yield running


def _config(tmp_path: Path, mode: str) -> Config:
    return Config.model_validate(
        {
            "library_dir": tmp_path / "library",
            "state_dir": tmp_path / "state",
            "network": {"allow_private": True},
            "extractors": {"auto_update": mode, "index_url": index_url(tmp_path / "index")},
        }
    )


def _events(ledger: Ledger, kind: str) -> list[str]:
    return [e["message"] for e in ledger.events_after(0) if e["kind"] == kind]


def test_canary_urls_take_a_few_of_each_source() -> None:
    recent = [f"https://www.youtube.com/watch?v={n:011d}" for n in range(5)]
    recent += ["https://soundcloud.com/a/b", "http://127.0.0.1:1/x.mp3"]
    picked = canary_urls(recent, 2)
    assert picked == [recent[0], recent[1], recent[5], recent[6]]


@pytest.mark.e2e
def test_a_canary_extracts_with_the_release_it_names(
    tmp_path: Path, server: LoopbackServer
) -> None:
    index = tmp_path / "index"
    build_release(index, BROKEN, breaks=BREAK_EXTRACTION)
    home = tmp_path / "releases"
    from spotsyncd.extractors.fetch import install_release

    folder = install_release(BROKEN, home, index_url(index))
    url = server.url("/tone.mp3")
    installed = try_release(None, [url], expect=None, allow_private=True)
    assert installed.ok and installed.sources == ["127.0.0.1"], installed
    broken = try_release(folder, [url], expect=BROKEN, allow_private=True)
    assert not broken.ok and broken.version == BROKEN
    assert "cannot read pages" in (broken.problem or "")
    refused = try_release(None, [url], expect=None, allow_private=False)  # the address check
    assert not refused.ok and "refused to fetch" in (refused.problem or "")


@pytest.mark.e2e
def test_notify_tells_once_per_release(tmp_path: Path) -> None:
    build_release(tmp_path / "index", GOOD)
    config = _config(tmp_path, "notify")
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        watch = ExtractorWatch(lambda: config, ledger, first_check_after_s=0)
        watch.tick()
        watch.tick(now=10**10)  # the next day's check: the same release, not told again
        (told,) = _events(ledger, "yt_dlp_new")
        assert f"yt-dlp {GOOD} is available" in told
        assert Releases(config.state_dir).read().active is None  # notify installs nothing
        assert Updater(config, ledger).status()["update_available"]
    finally:
        ledger.close()


@pytest.mark.e2e
def test_install_switches_to_a_good_release_and_refuses_a_broken_one_once(
    tmp_path: Path, server: LoopbackServer
) -> None:
    build_release(tmp_path / "index", GOOD)
    config = _config(tmp_path, "install")
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        watch = ExtractorWatch(lambda: config, ledger, first_check_after_s=0)
        watch.tick()
        assert Releases(config.state_dir).read().active == GOOD
        (switched,) = _events(ledger, "yt_dlp_switch")
        assert f"to {GOOD}" in switched

        build_release(tmp_path / "index", BROKEN, breaks=BREAK_EXTRACTION)
        # The canary needs something this user downloaded: a done track from loopback.
        _done_track(ledger, server.url("/tone.mp3"))
        watch.tick(now=10**10)
        assert Releases(config.state_dir).read().active == GOOD  # still the good one
        (refused,) = _events(ledger, "yt_dlp_refused")
        assert f"yt-dlp {BROKEN} failed its check" in refused and "cannot read pages" in refused
        watch.tick(now=2 * 10**10)  # a later check does not try the refused one again
        assert len(_events(ledger, "yt_dlp_refused")) == 1
    finally:
        ledger.close()


def _done_track(ledger: Ledger, url: str) -> None:
    from spotsyncd.core.models import TrackMeta
    from spotsyncd.intake.links import parse_link

    ledger.add_links([parse_link(url)])
    job = ledger.claim_next_job("test")
    assert job is not None
    ledger.finish_job(job.job_id, job.track.id, path="a.mp3", size_bytes=1, duration_s=1.0,
                      meta=TrackMeta(), info={"webpage_url": url}, audio_settings="",
                      loudness_lufs=None, download_s=0.1, process_s=0.1,
                      message="done")  # fmt: skip


@pytest.mark.e2e
def test_update_when_already_the_newest_is_success_not_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``extractors update`` from a timer or a script: switching exits 0, and so does finding
    the running release already the newest (only a refused or failed release exits 1)."""
    import yaml

    from spotsyncd.cli.main import main

    build_release(tmp_path / "index", GOOD)
    config = _config(tmp_path, "notify")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_defaults=True)))
    assert main(["extractors", "update", "--config", str(path)]) == 0
    assert f"to {GOOD}" in capsys.readouterr().out
    assert main(["extractors", "update", "--config", str(path)]) == 0
    assert f"yt-dlp {GOOD} is the newest release; nothing to do" in capsys.readouterr().out


@pytest.mark.e2e
def test_status_check_says_when_the_index_is_behind_the_running_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    from spotsyncd.cli.main import main

    build_release(tmp_path / "index", "2000.1.1")  # older than any yt-dlp we run
    config = _config(tmp_path, "notify")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_defaults=True)))
    assert main(["extractors", "status", "--check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "newest release: 2000.1.1 (older than the one running" in out, out
    assert Updater(config, None).status()["index_behind"]
