"""The pure half of audio processing: parsing ffmpeg's logs and deciding what to do."""

from __future__ import annotations

import math

import pytest

from spotsyncd.core.config import AudioConfig
from spotsyncd.media import audio_analysis as aa

BANNER = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/x/src.m4a':
  Duration: 00:03:05.50, start: 0.044000, bitrate: 130 kb/s
  Stream #0:0[0x1](und): Video: h264 (High), yuv420p, 64x48, 10 fps
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s
At least one output file must be specified
"""


def test_banner_gives_the_first_audio_stream() -> None:
    facts = aa.parse_banner(BANNER)
    assert facts == aa.StreamFacts("mov", "aac", 44100, 185.5, 0.044)
    assert aa.parse_banner("Input #0, mp4, from 'x':\n  Stream #0:0: Video: h264") is None


def test_gated_loudness_follows_bs1770() -> None:
    assert aa.integrated_loudness([-20.0] * 10) == pytest.approx(-20.0)
    # Blocks under the absolute gate (-70) and the relative gate (10 LU under) do not count.
    assert aa.integrated_loudness([-20.0] * 10 + [-35.0] * 10 + [-120.0] * 50) == (
        pytest.approx(-20.0)
    )
    mixed = aa.integrated_loudness([-20.0, -26.0])
    assert mixed == pytest.approx(10 * math.log10((10**-2 + 10**-2.6) / 2))
    assert aa.integrated_loudness([-120.0, -80.0]) is None


def test_touching_silences_merge_across_the_split() -> None:
    assert aa.merge([(90.0, 93.0), (0.0, 1.0), (93.02, 95.0)]) == [(0.0, 1.0), (90.0, 95.0)]


def _analysis(silences: tuple[tuple[float, float], ...], peak: float = -20.0) -> aa.Analysis:
    facts = aa.StreamFacts("mp3", "mp3", 44100, 10.0, 0.0)
    return aa.Analysis(facts, 10.0, -23.0, peak, silences)


def test_only_silence_at_the_ends_is_trimmed() -> None:
    plan = aa.plan(_analysis(((0.0, 1.0), (4.0, 5.0), (8.0, 10.0))), AudioConfig())
    assert (plan.start_s, plan.end_s, plan.gain_db, plan.limit_db) == (1.0, 8.0, 9.0, None)
    everything_silent = aa.plan(_analysis(((0.0, 10.0),)), AudioConfig())
    assert (everything_silent.start_s, everything_silent.end_s) == (0.0, 10.0)


def test_limiter_only_when_the_gain_pushes_peaks_past_the_ceiling() -> None:
    assert aa.plan(_analysis((), peak=-12.0), AudioConfig()).limit_db is None
    assert aa.plan(_analysis((), peak=-8.0), AudioConfig()).limit_db == -2.0
    assert aa.plan(_analysis((), peak=-8.0), AudioConfig(normalize="off")).gain_db == 0.0
