"""YouTube search through the one YoutubeDL conversation (``client.py``): a query becomes
``ytsearchN:`` candidates, flat, so one request and no per-video pages."""

from __future__ import annotations

from spotsyncd.core.models import Candidate
from spotsyncd.sources.ytdlp.client import YtDlpDownloader
from spotsyncd.sources.ytdlp.failures import job_error
from spotsyncd.sources.ytdlp.info import candidates_from_info


class YtDlpSearcher:
    """YouTube search through yt-dlp's ``ytsearchN:`` (flat: one request, no per-video pages)."""

    name = "youtube"

    def __init__(self, downloader: YtDlpDownloader) -> None:
        self.downloader = downloader

    def search(self, query: str, *, limit: int = 10) -> list[Candidate]:
        limit = max(1, min(limit, 50))
        params = {**self.downloader._params(), "extract_flat": "in_playlist"}
        term = " ".join(query.split())
        runtime = self.downloader.runtime
        try:
            with runtime.using(), self.downloader._ydl(params) as ydl:
                info = ydl.extract_info(f"ytsearch{limit}:{term}", download=False, process=False)
                return candidates_from_info(info or {}, limit=limit)
        except (runtime.errors(), OSError) as exc:
            raise job_error(exc, "https://www.youtube.com/results") from None
