"""YouTubeApiSearcher against a loopback stand-in answering in the API's documented shapes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spotsyncd.core.errors import NetworkDownError, RateLimitedError, TransientError
from spotsyncd.matching.score import TrackInfo, best_match
from spotsyncd.sources.youtube_api import (
    DEFAULT_DAILY_QUOTA,
    QuotaCounter,
    YouTubeApiSearcher,
    parse_duration,
    read_quota,
)
from tests.fakes.http_server import LoopbackServer
from tests.fakes.youtube_api_server import ApiStandIn

KEY = "AIzaSyTEST-not-a-real-key-0123456789"


@pytest.fixture
def api() -> Iterator[ApiStandIn]:
    with LoopbackServer() as server:
        yield ApiStandIn(server)


def _searcher(api: ApiStandIn, tmp_path: Path, quota: int = DEFAULT_DAILY_QUOTA) -> Any:
    counter = QuotaCounter(tmp_path / "quota.json", quota)
    return YouTubeApiSearcher(KEY, counter, api_url=api.url), counter


def test_search_then_one_videos_call_feed_the_matcher(api: ApiStandIn, tmp_path: Path) -> None:
    searcher, counter = _searcher(api, tmp_path)
    candidates = searcher.search("Luis Fonsi - Despacito", limit=10)

    assert [m for m, _p, _k in api.calls] == ["search", "videos"]
    search_params = api.calls[0][1]
    assert search_params["type"] == ["video"] and search_params["q"] == ["Luis Fonsi - Despacito"]
    assert api.calls[1][1]["id"] == ["kJQP7kiw5Fk,aaaaaaaaaa1,aaaaaaaaaa2"]
    assert all(key == KEY for _m, _p, key in api.calls)  # in a header
    assert all("key" not in params for _m, params, _k in api.calls)  # never in the URL
    first = candidates[0]
    assert first.video_id == "kJQP7kiw5Fk" and first.duration_s == 282.0
    assert first.channel == "LuisFonsiVEVO" and first.views == 8_000_000
    assert first.cover_url == "https://i.ytimg.com/vi/kJQP7kiw5Fk/hqdefault.jpg"
    assert candidates[1].title == "Despacito (Cover en Español) & Letra"
    assert counter.used() == 101
    wanted = TrackInfo("Despacito", ("Luis Fonsi", "Daddy Yankee"), None, 282.0)
    chosen = best_match(wanted, candidates).chosen
    assert chosen is not None and chosen.video_id == "kJQP7kiw5Fk"


def test_quota_is_counted_and_stops_the_searcher_for_the_day(
    api: ApiStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    searcher, counter = _searcher(api, tmp_path, quota=250)
    searcher.search("one")
    searcher.search("two")
    assert counter.used() == 202
    with caplog.at_level(logging.WARNING):
        assert searcher.search("three") == [] and searcher.search("four") == []
    assert len(api.calls) == 4  # no request past the quota
    assert sum("quota is used up" in r.getMessage() for r in caplog.records) == 1
    assert read_quota(tmp_path / "quota.json", counter.day())["units"] == 202


def test_the_quota_file_starts_afresh_on_a_new_pacific_day(tmp_path: Path) -> None:
    now = [1_764_000_000.0]
    counter = QuotaCounter(tmp_path / "q.json", 150, clock=lambda: now[0])
    assert counter.spend(100) and not counter.spend(100)
    now[0] += 86400
    assert counter.used() == 0 and counter.spend(100)


def test_the_api_saying_quota_exceeded_ends_the_day(
    api: ApiStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    searcher, counter = _searcher(api, tmp_path)
    api.fail_with = (403, "quotaExceeded")
    with caplog.at_level(logging.WARNING):
        assert searcher.search("x") == []
        assert searcher.search("y") == []
    assert counter.used() >= DEFAULT_DAILY_QUOTA and len(api.calls) == 1
    assert sum("quota is used up" in r.getMessage() for r in caplog.records) == 1


def test_a_bad_key_is_told_once_without_showing_it(
    api: ApiStandIn, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    searcher, _counter = _searcher(api, tmp_path)
    api.fail_with = (400, "keyInvalid")
    with caplog.at_level(logging.ERROR):
        assert searcher.search("x") == [] and searcher.search("y") == []
    assert len(api.calls) == 1
    assert "keyInvalid" in caplog.text and KEY not in caplog.text


@pytest.mark.parametrize(("status", "error"), [(429, RateLimitedError), (503, TransientError)])
def test_busy_answers_are_transient(
    api: ApiStandIn, tmp_path: Path, status: int, error: type[Exception]
) -> None:
    searcher, _ = _searcher(api, tmp_path)
    api.fail_with = (status, "rateLimitExceeded" if status == 429 else "backendError")
    with pytest.raises(error) as caught:
        searcher.search("x")
    assert KEY not in str(caught.value)


def test_unreachable_api_is_transient_and_names_no_key(tmp_path: Path) -> None:
    searcher = YouTubeApiSearcher(
        KEY, QuotaCounter(tmp_path / "q.json", 10_000), api_url="http://127.0.0.1:9/youtube/v3"
    )
    with pytest.raises(NetworkDownError) as caught:  # the offline watch decides what it means
        searcher.search("x")
    assert caught.value.host == "127.0.0.1:9"
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT4M13S", 253.0), ("PT1H2S", 3602.0), ("PT45S", 45.0), ("P1DT1M", 86460.0),
     ("PT0S", 0.0), ("P0D", 0.0), ("", None), ("4:13", None), (None, None)],
)  # fmt: skip
def test_parse_duration(text: str | None, seconds: float | None) -> None:
    assert parse_duration(text) == seconds
