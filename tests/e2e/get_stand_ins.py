"""``spotsyncd get`` with loopback stand-ins, for end-to-end tests of ``get`` and search lines.

Everything is real (config, ledger, lock, worker pool, pipeline, YtMusicSearcher and ytmusicapi,
yt-dlp, ffmpeg, mutagen, the progress view) except two addresses: YouTube Music requests go to
the stand-in at ``YTM_STANDIN_URL`` (``tests/fakes/ytmusic_server.py``), and a chosen video's
audio is downloaded from the loopback URL that ``AUDIO_MAP`` (a JSON file: video id → URL)
names for it, as YouTube cannot be reached offline.

    python -m tests.e2e.get_stand_ins ITEM... [--json] [--format F] ...
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from spotsyncd.cli.get import run_get
from spotsyncd.cli.main import build_parser
from spotsyncd.core.config import Config
from spotsyncd.core.errors import SpotsyncError
from spotsyncd.core.models import Downloaded, Listing
from spotsyncd.core.protocols import Adapters, Downloader, ProgressCallback
from spotsyncd.engine.wiring import build_adapters
from spotsyncd.sources.ytmusic.search import YtMusicSearcher
from tests.fakes.ytmusic_server import routed_session


class RoutedDownloader:
    """The real downloader, fetching a YouTube video's audio from its loopback stand-in."""

    def __init__(self, inner: Downloader, audio: dict[str, str]) -> None:
        self.inner = inner
        self.audio = audio

    def download(
        self,
        url: str,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> Downloaded:
        video_id = parse_qs(urlsplit(url).query).get("v", [""])[0]
        target = self.audio.get(video_id, url)
        return self.inner.download(target, dest_dir, progress=progress, cancel=cancel)

    def list(self, url: str) -> Listing | None:
        return self.inner.list(url)


def main(argv: list[str]) -> int:
    audio = json.loads(Path(os.environ["AUDIO_MAP"]).read_text(encoding="utf-8"))
    base_url = os.environ["YTM_STANDIN_URL"]

    def adapters(config: Config) -> Adapters:
        built = build_adapters(config)  # the real searchers, in their real order
        built.searchers = [
            YtMusicSearcher(routed_session(base_url)) if isinstance(s, YtMusicSearcher) else s
            for s in built.searchers
        ]
        built.downloader = RoutedDownloader(built.downloader, audio)
        return built

    args = build_parser().parse_args(["get", *argv])
    try:
        return run_get(args, adapters_factory=adapters)
    except SpotsyncError as exc:
        print(f"spotsyncd: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
