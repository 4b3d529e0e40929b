"""Filing a finished track: the template's path, or the next free name beside another track's
file (never written over); the ledger stores it relative to the library; after a manual match
the old file goes only while it is still ours."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from spotsyncd.core.config import Config, load_config
from spotsyncd.core.models import TrackMeta
from spotsyncd.engine.jobs.filing import (
    audio_settings_for,
    file_track,
    remove_replaced,
    stored_path,
)
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger import Ledger, TrackRow


class KeyTagger:
    """Reads the key written after the last '|' of a file, as the worker tests' tagger."""

    def read_key(self, path: Path) -> str | None:
        data = path.read_bytes()
        return data.rsplit(b"|", 1)[-1].decode() if b"|" in data else None


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Config, Ledger, TrackRow]]:
    path = tmp_path / "config.yaml"
    path.write_text(f"library_dir: {tmp_path}/lib\nstate_dir: {tmp_path}/state\n")
    config = load_config(path, env={})
    config.library_dir.mkdir(parents=True)
    config.state_dir.mkdir(parents=True)
    ledger = Ledger(config.ledger_path)
    ledger.add_links([parse_line("http://127.0.0.1:9/song.mp3")])
    yield config, ledger, ledger.tracks()[0]
    ledger.close()


def _finished(tmp_path: Path, key: str) -> Path:
    src = tmp_path / "out.mp3"
    src.write_bytes(b"ID3new|" + key.encode())
    return src


def test_another_track_s_file_is_never_written_over(
    world: tuple[Config, Ledger, TrackRow], tmp_path: Path
) -> None:
    config, ledger, track = world
    meta = TrackMeta(title="Song", artists=("Band",), album="LP")
    theirs = config.library_dir / "Band" / "LP" / "Song.mp3"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b"ID3theirs|generic:someone-else")
    final = file_track(config, ledger, KeyTagger(), track, _finished(tmp_path, track.key), meta)
    assert final.name == "Song (2).mp3" and final.parent == theirs.parent.resolve()
    assert theirs.read_bytes() == b"ID3theirs|generic:someone-else"
    assert KeyTagger().read_key(final) == track.key
    assert stored_path(config, final) == "Band/LP/Song (2).mp3"


def test_a_replaced_file_goes_only_while_it_is_ours(
    world: tuple[Config, Ledger, TrackRow], tmp_path: Path
) -> None:
    config, _ledger, track = world
    old = config.library_dir / "old.mp3"
    final = config.library_dir / "new.mp3"
    final.write_bytes(b"ID3|" + track.key.encode())
    replacing = replace(track, replaces_path="old.mp3")
    old.write_bytes(b"ID3|generic:someone-else")  # replaced by the user since: kept
    assert not remove_replaced(config, KeyTagger(), replacing, final)
    assert old.exists()
    old.write_bytes(b"ID3|" + track.key.encode())
    assert remove_replaced(config, KeyTagger(), replacing, final)
    assert not old.exists() and final.exists()


def test_an_episode_is_filed_by_the_podcast_template(
    world: tuple[Config, Ledger, TrackRow], tmp_path: Path
) -> None:
    config, ledger, track = world
    episode = replace(track, key="podcast:0123456789ab:0123456789abcdef0123")
    meta = TrackMeta(title="Episode 1: Pilot / Part?", artists=("Host",), album="Show: Live",
                     date="2025-03-01")  # fmt: skip
    final = file_track(config, ledger, KeyTagger(), episode, _finished(tmp_path, episode.key),
                       meta)  # fmt: skip
    assert (
        stored_path(config, final)
        == "Podcasts/Show_ Live/2025-03-01 - Episode 1_ Pilot _ Part_.mp3"
    )
    undated = replace(meta, date=None, title="Trailer")
    src = tmp_path / "out2.mp3"
    src.write_bytes(b"ID3new|" + episode.key.encode())
    final = file_track(config, ledger, KeyTagger(), episode, src, undated)
    assert stored_path(config, final) == "Podcasts/Show_ Live/Trailer.mp3"
    assert (
        audio_settings_for(config, replace(track, options={"normalize": "off"})).normalize == "off"
    )
