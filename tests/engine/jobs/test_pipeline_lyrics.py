"""The pipeline asks LRCLIB for songs only: a podcast episode has no lyrics there, and asking
costs a request (and, offline, a warning) per episode."""

from __future__ import annotations

from pathlib import Path

from spotsyncd.core.config import Config
from spotsyncd.core.models import Lyrics, Processed, Source, TrackMeta
from spotsyncd.core.protocols import Adapters
from spotsyncd.engine.jobs.pipeline import Pipeline
from spotsyncd.engine.resilience.circuits import Circuits
from spotsyncd.ledger import TrackRow
from tests.engine.jobs.test_metadata import _track


class AskedLyrics:
    def __init__(self) -> None:
        self.asked: list[str | None] = []

    def embed(self, path: Path, meta: TrackMeta, *, duration_s: float | None) -> Lyrics | None:
        self.asked.append(meta.title)
        return None

    def place_beside(self, audio: Path, lyrics: Lyrics | None) -> None:
        pass


def test_only_songs_are_looked_up_not_podcast_episodes(tmp_path: Path) -> None:
    lyrics = AskedLyrics()
    adapters = Adapters(
        downloader=None,  # type: ignore[arg-type]
        processor=None,  # type: ignore[arg-type]
        tagger=None,  # type: ignore[arg-type]
        lyrics=lyrics,
    )
    config = Config.model_validate({"state_dir": tmp_path, "log_file": None})
    pipeline = Pipeline(config, None, adapters, Circuits())  # type: ignore[arg-type]
    song = _track(Source.GENERIC)
    episode = TrackRow(**{**song.__dict__, "key": "podcast:0123456789ab:0123456789abcdef0123"})
    staged = Processed(path=tmp_path / "audio.mp3", duration_s=60.0)
    pipeline._lyrics(song, staged, TrackMeta(title="Song"))
    pipeline._lyrics(episode, staged, TrackMeta(title="Episode 1"))
    assert lyrics.asked == ["Song"]
