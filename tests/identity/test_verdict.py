"""The three verdicts, judged on AcoustID's recorded answers."""

from __future__ import annotations

import pytest

from spotsyncd.core.models import Identity, TrackMeta, Verdict
from spotsyncd.identity.acoustid import parse_result
from spotsyncd.identity.verdict import judge
from tests.fakes import musicbrainz as mb

pytestmark = pytest.mark.skipif(not mb.available(), reason="../shared/realworld is not present")

HOCUS_200 = "308d6e5a-52ff-41ca-aae8-7881e92472be"
HOCUS_204 = "af578913-c456-4d27-bb69-612c8cea0799"
FOCUS = "821e11d6-cfec-44a7-9615-06a4e631c975"


def results(answer: dict[str, object]) -> list:  # type: ignore[type-arg]
    found = [parse_result(r) for r in answer["results"]]  # type: ignore[attr-defined]
    return [r for r in found if r is not None]


def test_no_musicbrainz_recording_the_title_artist_and_length_verify() -> None:
    meta = TrackMeta(title="Hocus Pocus", artists=("Focus",), duration_s=201.0)
    identity = judge(results(mb.hocus_pocus_lookup()), None, meta)
    assert identity.verdict == Verdict.VERIFIED
    assert identity.recording_id == HOCUS_200 and identity.artist_ids == (FOCUS,)
    assert identity.acoustid_id == "38338eff-b530-498c-a2ef-07e01d642187"
    assert identity.release_group_id is None  # four release groups: none is the one
    assert "0.95" in identity.reason


def test_the_recording_asked_or_one_of_its_isrc_verifies() -> None:
    meta = TrackMeta(title="Hocus Pocus", artists=("Focus",), duration_s=204.0)
    other = "0f8a1d3b-0000-4000-8000-000000000000"  # the ISRC's first recording
    asked = Identity(recording_id=other, equivalent_ids=(other, HOCUS_204))
    identity = judge(results(mb.hocus_pocus_lookup()), asked, meta)
    assert identity.verdict == Verdict.VERIFIED
    assert identity.recording_id == asked.recording_id  # the asked one stays the identity
    assert "MusicBrainz names" in identity.reason


def test_the_best_recording_differs_from_the_one_asked_is_a_mismatch() -> None:
    meta = TrackMeta(title="Thinking Out Loud", artists=("Ed Sheeran",), duration_s=281.0)
    asked = Identity(recording_id="cb2cc207-8125-445c-9ef9-6ea44eee959a",
                     equivalent_ids=("cb2cc207-8125-445c-9ef9-6ea44eee959a",))  # fmt: skip
    identity = judge(results(mb.hocus_pocus_lookup()), asked, meta)
    assert identity.verdict == Verdict.MISMATCH
    assert "Focus - Hocus Pocus" in identity.reason and "Thinking Out Loud" in identity.reason
    assert identity.recording_id == asked.recording_id  # what was asked, for the review
    # Same artist, another song: still another recording.
    nina = judge(results(mb.nina_lookup()), asked, meta)
    assert nina.verdict == Verdict.MISMATCH and "Nina" in nina.reason


def test_no_match_or_no_metadata_is_unverified() -> None:
    meta = TrackMeta(title="Hocus Pocus", artists=("Focus",), duration_s=200.0)
    assert judge([], None, meta).verdict == Verdict.UNVERIFIED
    bare = results(mb.hocus_pocus_lookup())[0]
    only_id = [type(bare)(bare.id, bare.score, tuple(r for r in bare.recordings if not r.title))]
    assert judge(only_id, None, meta).verdict == Verdict.UNVERIFIED
    weak = [type(bare)(bare.id, 0.3, bare.recordings)]
    assert judge(weak, None, meta).verdict == Verdict.UNVERIFIED
