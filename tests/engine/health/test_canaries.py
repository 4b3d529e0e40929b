"""Which canaries a user gets: only the sources they use (a site they downloaded from, LRCLIB
when lyrics are on, each media server, the PO-token provider when set up, AcoustID with a key),
and doctor checks made into canaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spotsyncd.core.config import Config
from spotsyncd.core.models import TrackMeta
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.health.canaries import CanaryFailed, canaries_for, from_checks
from spotsyncd.engine.health.checks import Check
from spotsyncd.intake.links import parse_link
from spotsyncd.ledger import Ledger


def _config(tmp_path: Path, **sections: Any) -> Config:
    return Config.model_validate({"state_dir": tmp_path / "state", **sections})


def _done(ledger: Ledger, url: str) -> None:
    ledger.add_links([parse_link(url)])
    job = ledger.claim_next_job("test")
    assert job is not None
    ledger.finish_job(job.job_id, job.track.id, path=f"{job.track.id}.mp3", size_bytes=1,
                      duration_s=1.0, meta=TrackMeta(), info={"webpage_url": url},
                      audio_settings="", loudness_lufs=None, download_s=0.1, process_s=0.1,
                      message="done")  # fmt: skip


def test_only_the_sources_in_use_get_a_canary(tmp_path: Path) -> None:
    adapters = Adapters(downloader=None, processor=None, tagger=None)  # type: ignore[arg-type]
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        bare = _config(tmp_path, lyrics={"enabled": False})
        assert canaries_for(bare, ledger, adapters) == []
        _done(ledger, "https://www.youtube.com/watch?v=aaaaaaaaaaa")
        _done(ledger, "https://www.youtube.com/watch?v=bbbbbbbbbbb")
        _done(ledger, "https://soundcloud.com/someone/a-song")
        full = _config(
            tmp_path,
            lyrics={"enabled": True},
            youtube={"pot_provider_url": "http://127.0.0.1:4416"},
            acoustid={"api_key": "k"},
            media_servers=[
                {
                    "type": "navidrome",
                    "url": "http://127.0.0.1:4533",
                    "user": "u",
                    "password": "p",
                }
            ],  # fmt: skip
        )
        names = [c.name for c in canaries_for(full, ledger, adapters)]
        assert names == ["soundcloud.com", "youtube", "lrclib", "media server navidrome",
                         "po_token_provider", "acoustid"]  # fmt: skip
    finally:
        ledger.close()


def test_doctor_checks_become_a_canary() -> None:
    findings = [Check("po token provider", "ok", "answers")]
    canary = from_checks("po_token_provider", lambda: findings, "unreachable")
    canary.check()
    findings.append(Check("po token provider", "warn", "no provider answers at …"))
    with pytest.raises(CanaryFailed) as failed:
        canary.check()
    assert failed.value.error_class == "unreachable" and "no provider" in str(failed.value)
