"""YouTube Data API v3 search: the official API as a ``Searcher``, with its daily quota counted.

Used only when ``youtube.api_key`` (or ``YOUTUBE_API_KEY``) is set. One search is a
``search.list`` (100 quota units) for video candidates, then one ``videos.list`` (1 unit) for
their durations, channels and view counts. The day's units are kept in
``<state_dir>/youtube-api-quota.json`` (the daemon, ``get`` and ``status`` share it); the API's day
starts at midnight Pacific time. At the quota the searcher steps aside for the rest of the day
with one log line, and the other searchers carry on. The key travels in the ``X-Goog-Api-Key``
header, never in a URL, so no log line or error message can show it.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from spotsyncd.core.errors import (
    NetworkDownError,
    RateLimitedError,
    TransientError,
    network_down_cause,
)
from spotsyncd.core.models import Candidate

log = logging.getLogger(__name__)

SEARCH_UNITS = 100  # search.list
VIDEOS_UNITS = 1  # videos.list
DEFAULT_DAILY_QUOTA = 10_000
QUOTA_FILE = "youtube-api-quota.json"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def _pacific() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Los_Angeles")
    except Exception:  # noqa: BLE001 - no time zone data: standard time is close enough
        return timezone(timedelta(hours=-8))


class QuotaCounter:
    """The units spent today, in a small JSON file shared by every spotsyncd process."""

    def __init__(
        self, path: Path, daily_quota: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.daily_quota = daily_quota
        self.clock = clock
        self._lock = threading.Lock()
        self._told: str | None = None  # the day the "quota used up" line was logged

    def day(self) -> str:
        return datetime.fromtimestamp(self.clock(), _pacific()).date().isoformat()

    def used(self) -> int:
        return int(read_quota(self.path, self.day()).get("units", 0))

    def spend(self, units: int) -> bool:
        """Count ``units`` if they fit in today's quota; False (nothing counted) otherwise."""
        with self._lock:
            day = self.day()
            used = int(read_quota(self.path, day).get("units", 0))
            if used + units > self.daily_quota:
                self._tell(day, used)
                return False
            self._write(day, used + units)
            return True

    def exhaust(self) -> None:
        """The API said the quota is exceeded: believe it for the rest of the day."""
        with self._lock:
            day, used = self.day(), max(self.daily_quota, self.used())
            self._write(day, used)
            self._tell(day, used)

    def _tell(self, day: str, used: int) -> None:
        if self._told == day:
            return
        self._told = day
        log.warning(
            "YouTube Data API: today's quota is used up (%d of %d units); searching without it "
            "until midnight Pacific time",
            used,
            self.daily_quota,
        )

    def _write(self, day: str, units: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"day": day, "units": units}), encoding="utf-8")
        os.replace(tmp, self.path)


def read_quota(path: Path, day: str | None = None) -> dict[str, Any]:
    """``{"day", "units"}`` from the quota file; units 0 for another (or no) day."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        units = int(data.get("units", 0))
        recorded = str(data.get("day", ""))
    except (OSError, ValueError, TypeError, AttributeError):
        return {"day": day, "units": 0}
    if day is None:
        day = datetime.now(_pacific()).date().isoformat()
    return {"day": day, "units": units if recorded == day else 0}


class YouTubeApiSearcher:
    """``Searcher`` backed by the YouTube Data API v3 (an API key, no login)."""

    name = "youtube_api"

    def __init__(
        self,
        api_key: str,
        quota: QuotaCounter,
        *,
        api_url: str = "https://www.googleapis.com/youtube/v3",
        session: requests.Session | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        self._key = api_key
        self.quota = quota
        self.api_url = api_url.rstrip("/")
        self._session = session or requests.Session()
        self.timeout_s = timeout_s
        self._disabled: str | None = None  # why the key cannot be used (told once)

    def search(self, query: str, *, limit: int = 10) -> list[Candidate]:
        if self._disabled or not self.quota.spend(SEARCH_UNITS):
            return []
        found = self._get(
            "search",
            {"part": "snippet", "q": query, "type": "video", "maxResults": min(limit, 50)},
        )
        ids = [
            item["id"]["videoId"]
            for item in found.get("items") or ()
            if isinstance(item, dict)
            and isinstance(item.get("id"), dict)
            and item["id"].get("videoId")
        ]
        if not ids or not self.quota.spend(VIDEOS_UNITS):
            return [c for c in map(_from_search_item, found.get("items") or ()) if c]
        details = self._get(
            "videos", {"part": "snippet,contentDetails,statistics", "id": ",".join(ids)}
        )
        by_id = {v.get("id"): v for v in details.get("items") or () if isinstance(v, dict)}
        candidates = [_from_video(by_id[i]) for i in ids if i in by_id]
        return [c for c in candidates if c is not None]

    def _get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.api_url}/{method}"
        try:
            response = self._session.get(
                url,
                params=params,
                headers={"X-Goog-Api-Key": self._key, "Accept": "application/json"},
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            cause = network_down_cause(exc)
            if cause is not None:  # the offline watch tells "this host" from "no network"
                host = urlsplit(url).netloc
                raise NetworkDownError(
                    f"YouTube Data API {method}.list: cannot reach {host}: {cause}", host=host
                ) from None
            raise TransientError(
                f"YouTube Data API {method}.list failed: {type(exc).__name__}"
            ) from None
        if response.status_code == 200:
            try:
                data = response.json()
            except ValueError:
                raise TransientError(f"YouTube Data API {method}.list answered non-JSON") from None
            return data if isinstance(data, dict) else {}
        return self._failed(method, response)

    def _failed(self, method: str, response: requests.Response) -> dict[str, Any]:
        reasons = _error_reasons(response)
        status = response.status_code
        if "quotaExceeded" in reasons or "dailyLimitExceeded" in reasons:
            self.quota.exhaust()
            return {}
        if status == 429 or "rateLimitExceeded" in reasons:
            retry_after = response.headers.get("Retry-After", "")
            raise RateLimitedError(
                f"YouTube Data API rate-limited {method}.list (HTTP {status})",
                retry_after=float(retry_after) if retry_after.isdigit() else None,
                service="youtube_api",
            )
        if status >= 500:
            raise TransientError(f"YouTube Data API {method}.list failed with HTTP {status}")
        # 400 keyInvalid, 403 forbidden / accessNotConfigured: the key cannot do this.
        self._disabled = ", ".join(reasons) or f"HTTP {status}"
        log.error(
            "YouTube Data API refused the key (%s); check youtube.api_key and that the API is "
            "enabled for its project. Searching without it until restart",
            self._disabled,
        )
        return {}


def _error_reasons(response: requests.Response) -> list[str]:
    try:
        error = response.json().get("error") or {}
        return [str(e.get("reason")) for e in error.get("errors") or () if e.get("reason")]
    except (ValueError, AttributeError, TypeError):
        return []


def parse_duration(text: object) -> float | None:
    """ISO 8601 durations as videos.list gives them: 'PT4M13S' -> 253.0, 'PT1H2S' -> 3602.0."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


def _thumbnail(snippet: dict[str, Any]) -> str | None:
    thumbs = snippet.get("thumbnails")
    if not isinstance(thumbs, dict):
        return None
    best = max(
        (t for t in thumbs.values() if isinstance(t, dict) and t.get("url")),
        key=lambda t: int(t.get("width") or 0),
        default=None,
    )
    return str(best["url"]) if best else None


def _candidate(video_id: str, snippet: dict[str, Any], **extra: Any) -> Candidate | None:
    title = snippet.get("title")
    if not isinstance(title, str) or not title:
        return None
    channel = snippet.get("channelTitle")
    channel = html.unescape(channel) if isinstance(channel, str) and channel else None
    return Candidate(
        video_id=video_id,
        title=html.unescape(title),  # search.list titles come HTML-escaped ("&#39;", "&amp;")
        artists=(channel,) if channel else (),
        channel=channel,
        kind="video",
        provider="youtube_api",
        cover_url=_thumbnail(snippet),
        **extra,
    )


def _from_search_item(item: Any) -> Candidate | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), dict):
        return None
    video_id = item["id"].get("videoId")
    snippet = item.get("snippet")
    if not video_id or not isinstance(snippet, dict):
        return None
    if snippet.get("liveBroadcastContent") in ("live", "upcoming"):
        return None
    return _candidate(str(video_id), snippet)


def _from_video(video: dict[str, Any]) -> Candidate | None:
    snippet = video.get("snippet")
    if not isinstance(snippet, dict) or snippet.get("liveBroadcastContent") in ("live", "upcoming"):
        return None
    details = video.get("contentDetails") if isinstance(video.get("contentDetails"), dict) else {}
    stats = video.get("statistics") if isinstance(video.get("statistics"), dict) else {}
    views = stats.get("viewCount") if stats else None
    return _candidate(
        str(video.get("id")),
        snippet,
        duration_s=parse_duration((details or {}).get("duration")),
        views=int(views) if isinstance(views, str) and views.isdigit() else None,
    )
