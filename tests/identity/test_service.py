"""The identity step as the pipeline calls it: off, without a key, and with both services
down (every track unverified at once, never slower)."""

from __future__ import annotations

import time
from pathlib import Path

from spotsyncd.core.config import AcoustidConfig, Config, MusicBrainzConfig
from spotsyncd.core.models import Fingerprint, Identity, TrackMeta, Verdict
from spotsyncd.identity.service import IdentityService, identity_for, user_agent
from tests.fakes.audio import FFMPEG, make_audio
from tests.fakes.http_server import LoopbackServer
from tests.identity.conftest import MemoryCache

TRACK = TrackMeta(title="Thinking Out Loud", artists=("Ed Sheeran",), duration_s=281.0,
                  isrc="GBAHS1400099")  # fmt: skip


def test_off_when_both_services_are_off_and_a_contact_in_the_user_agent() -> None:
    off = Config(log_file=None, musicbrainz=MusicBrainzConfig(enabled=False))
    assert identity_for(off) is None
    assert identity_for(Config(log_file=None)) is not None  # MusicBrainz is on by default
    assert user_agent("me@example.org") == "spotsyncd/0.1.0 ( me@example.org )"
    assert "github.com" in user_agent(None)


def test_without_a_key_nothing_is_fingerprinted(tmp_path: Path) -> None:
    step = IdentityService(musicbrainz=None, acoustid=None, ffmpeg=Path(FFMPEG))
    assert step.fingerprint(make_audio(tmp_path / "a.m4a", seconds=1.0)) is None
    asked = Identity(recording_id="cb2cc207-8125-445c-9ef9-6ea44eee959a")
    found = step.check(None, asked, TRACK)
    assert found.verdict == Verdict.UNVERIFIED and "acoustid.api_key" in found.reason
    assert found.recording_id == asked.recording_id  # MusicBrainz's IDs are still written


def test_services_down_leave_every_track_unverified_at_once(cache: MemoryCache) -> None:
    with LoopbackServer() as server:
        url = server.url("/")  # closed when the block ends: nothing listens there
    config = Config(log_file=None, acoustid=AcoustidConfig(api_key="k", api_url=url),
                    musicbrainz=MusicBrainzConfig(api_url=url))  # fmt: skip
    factory = identity_for(config)
    assert factory is not None
    step = factory(cache)
    started = time.monotonic()
    for _ in range(5):
        assert step.recording_for(TRACK) is None
        found = step.check(Fingerprint("AQAA", 281.0), None, TRACK)
        assert found.verdict == Verdict.UNVERIFIED and "no answer" in found.reason
    assert time.monotonic() - started < 5.0  # asked once each, then left alone
    assert not cache.answers


def test_without_search_an_unknown_isrc_costs_one_request_and_the_search_comes_later(
    cache: MemoryCache,
) -> None:
    """The pipeline asks AcoustID before it searches: ``search=False`` is the ISRC lookup
    alone; asked again with the search, the ISRC's 404 comes from the cache."""
    from tests.fakes import musicbrainz as mb

    with LoopbackServer() as server:
        stand_in = mb.FakeMusicBrainz(server)
        stand_in.add_isrc(TRACK.isrc or "", [])
        config = Config(log_file=None, network={"allow_private": True},
                        musicbrainz=MusicBrainzConfig(api_url=stand_in.api_url))  # fmt: skip
        factory = identity_for(config)
        assert factory is not None
        step = factory(cache)
        assert step.recording_for(TRACK, search=False) is None
        assert [path.split("?")[0] for _t, path, _a in stand_in.requests] == [
            "/ws/2/isrc/GBAHS1400099"
        ]
        step.recording_for(TRACK)  # now with the search (the 404 from the cache)
        paths = [path.split("?")[0] for _t, path, _a in stand_in.requests]
        assert paths == ["/ws/2/isrc/GBAHS1400099", "/ws/2/recording"]
