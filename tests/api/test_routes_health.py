"""``GET /api/v1/health/sources`` and ``/metrics``: the source health table and the yt-dlp in
use, as the ledger and the release pointer say."""

from __future__ import annotations

from importlib import metadata

from spotsyncd.sources.ytdlp.releases import age_days
from tests.api.conftest import Web

API = "/api/v1"


def test_sources_table_and_yt_dlp_in_the_api_and_metrics(web: Web) -> None:
    web.ledger.record_health("youtube", ok=True, now=1000.0)
    web.ledger.record_health(
        "youtube",
        ok=False,
        error_class="bot_check",
        error="Sign in",
        fix="export cookies",
        now=2000.0,
    )
    web.ledger.record_health("lrclib", ok=True, now=2000.0)
    answer = web.client.get(f"{API}/health/sources")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    installed = metadata.version("yt-dlp")
    assert data["yt_dlp"]["version"] == installed and data["yt_dlp"]["where"] == "installed"
    assert data["yt_dlp"]["age_days"] == age_days(installed)
    assert [(s["name"], s["state"], s["since"]) for s in data["sources"]] == [
        ("lrclib", "ok", 2000.0),
        ("youtube", "failing", 2000.0),
    ]
    assert data["sources"][1]["fix"] == "export cookies"
    assert web.anonymous.get(f"{API}/health/sources").status_code == 401
    status = web.client.get(f"{API}/status").json()
    assert status["yt_dlp"]["version"] == installed and len(status["sources"]) == 2
    metrics = web.client.get(f"{API}/metrics").text
    assert 'spotsyncd_source_up{source="youtube"} 0.0' in metrics
    assert 'spotsyncd_source_up{source="lrclib"} 1.0' in metrics
    assert (
        f'spotsyncd_yt_dlp_info{{newest="",version="{installed}",where="installed"}} 1.0' in metrics
    )
    assert "spotsyncd_yt_dlp_age_seconds" in metrics
