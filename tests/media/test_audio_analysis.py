"""The pure half of audio processing: parsing ffmpeg's logs and deciding what to do."""

from __future__ import annotations

import dataclasses
import math
import subprocess
from pathlib import Path

import pytest

from spotsyncd.core.config import AudioConfig
from spotsyncd.media import audio_analysis as aa
from tests.fakes.audio import FFMPEG

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


def test_the_tail_s_last_frame_says_where_the_audio_ends() -> None:
    log = (
        "[Parsed_ashowinfo_40 @ 0x55] n:4 pts:2581790720 pts_time:182.950023 fmt:fltp "
        "channels:2 chlayout:stereo rate:44100 nb_samples:65536 checksum:0\n"
        "[Parsed_ashowinfo_40 @ 0x55] n:5 pts:2602762240 pts_time:184.4361 fmt:fltp "
        "channels:2 chlayout:stereo rate:44100 nb_samples:25984 checksum:0\n"
        "[Parsed_silencedetect_41 @ 0x56] silence_start: 182.025\n"
        "[Parsed_silencedetect_41 @ 0x56] silence_end: 185.025 | silence_duration: 3\n"
    )
    assert aa.end_of_audio(log) == pytest.approx(184.4361 + 25984 / 44100)
    facts = aa.StreamFacts("mp3", "mp3", 44100, declared_s=184.0, start_s=0.025)
    # The tail decoded to the real end (185 s, not the 184 s the header said): the trailing
    # silence reaches it, so it is the end to trim.
    guess = aa.guess_analysis(log, facts)
    assert guess is not None and guess.decoded_s == pytest.approx(185.0, abs=0.001)
    chosen = aa.plan(guess, AudioConfig())
    assert chosen.end_s == pytest.approx(182.0, abs=0.001)
    assert aa.guess_analysis("no frames logged", facts) is None  # the tail decoded nothing


def test_the_measuring_graph_measures_in_line_what_it_encodes() -> None:
    facts = aa.StreamFacts("mp3", "mp3", 44100, declared_s=185.0, start_s=0.0)
    analysis = aa.Analysis(facts, 185.0, -20.0, -10.0, ((0.0, 2.0), (182.0, 185.0)))
    source = aa.from_zero("amovie=x:f=mp3", facts)
    graph = aa.measuring_graph(source, analysis, aa.plan(analysis, AudioConfig()), "ebur128")
    assert graph == (
        "amovie=x:f=mp3,aformat=channel_layouts=mono|stereo,"
        "atrim=start=2.000000:end=182.000000,asetpts=PTS-STARTPTS,volume=6.00dB,ebur128[out]"
    )
    limited = aa.Plan(2.0, 182.0, 6.0, -2.0)
    with pytest.raises(ValueError):
        aa.measuring_graph(source, analysis, limited, "ebur128")


def test_the_audio_s_own_start_wins_over_the_file_s() -> None:
    late = BANNER.replace("128 kb/s", "128 kb/s, start 0.276780 (default)")
    facts = aa.parse_banner(late)
    assert facts is not None and facts.start_s == pytest.approx(0.27678)
    assert aa.parse_banner(BANNER).start_s == pytest.approx(0.044)  # type: ignore[union-attr]


def test_a_source_that_starts_late_is_timed_from_the_audio_s_first_timestamp() -> None:
    late = aa.StreamFacts("mp3", "mp3", 44100, declared_s=185.0, start_s=0.025057)
    assert aa.from_zero("amovie=x:f=mp3", late) == "amovie=x:f=mp3,asetpts=PTS-0.025057/TB"
    on_time = dataclasses.replace(late, start_s=0.0)
    assert aa.from_zero("amovie=x:f=mp3", on_time) == "amovie=x:f=mp3"


def test_summary_loudness_reads_ebur128_s_own_figure() -> None:
    summary = ("[Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n"
               "    I:         -28.9 LUFS\n    Threshold: -38.9 LUFS\n\n  Sample peak:\n"
               "    Peak:      -18.0 dBFS\n")  # fmt: skip
    assert aa.summary_loudness(summary) == pytest.approx(-28.9)
    assert aa.peak_db(summary) == pytest.approx(-18.0)
    silent = summary.replace("-28.9 LUFS", "-70.0 LUFS").replace("-38.9", "0.0")
    assert aa.summary_loudness(silent) is None, "nothing over the absolute gate"
    assert aa.summary_loudness("ffmpeg was killed before its summary") is None


def _sample_peak_and_loudness(path: Path) -> tuple[float, float]:
    out = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=peak=sample:framelog=verbose", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr  # fmt: skip
    loudness = aa.summary_loudness(out)
    assert loudness is not None
    return aa.peak_db(out), loudness


@pytest.mark.parametrize("ext", ["opus", "mp3", "m4a"])
def test_the_estimate_of_a_steady_file_matches_the_whole_file(tmp_path: Path, ext: str) -> None:
    # A steady tone with trailing silence: every sample the estimate takes after a seek must
    # be the audio itself (an Opus decoder started cold at a seek point peaks 6.6 dB high).
    src = tmp_path / f"steady.{ext}"
    codec = {"opus": "libopus", "mp3": "libmp3lame", "m4a": "aac"}[ext]
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-filter_complex",
                    "sine=f=440:sample_rate=48000:duration=40,volume=-15dB,apad=pad_dur=3,"
                    "aformat=channel_layouts=stereo", "-c:a", codec, str(src)],
                   check=True)  # fmt: skip
    banner = subprocess.run([FFMPEG, "-hide_banner", "-i", str(src)], capture_output=True,
                            text=True).stderr  # fmt: skip
    facts = aa.parse_banner(banner)
    assert facts is not None
    (tmp_path / "src").symlink_to(src)
    graph = aa.estimate_graph(f"amovie=src:f={facts.demuxer}", facts, AudioConfig())
    assert graph is not None
    log = subprocess.run([FFMPEG, "-hide_banner", "-nostats", "-filter_complex", graph, "-map",
                          "[out]", "-f", "null", "-"], capture_output=True, text=True, cwd=tmp_path,
                         check=True).stderr  # fmt: skip

    guess = aa.guess_analysis(log, facts)

    peak, loudness = _sample_peak_and_loudness(src)
    assert guess is not None and guess.loudness_lufs is not None
    assert guess.peak_db <= peak + 0.1, "no peak the audio does not have (seek noise)"
    assert guess.peak_db >= peak - 1.0
    assert guess.loudness_lufs == pytest.approx(loudness, abs=0.3)
    assert guess.silences[-1][1] == pytest.approx(guess.decoded_s)
    assert guess.silences[-1][0] == pytest.approx(40.0, abs=0.1), "the trailing silence"


def _blocks(levels: list[float]) -> str:
    """ebur128 info lines for 1 s windows of the given levels (10 blocks each)."""
    lines = []
    for window, level in enumerate(levels):
        for block in range(1, 11):
            t = window + block / 10
            lines.append(f"[Parsed_ebur128_0 @ 0x1] t: {t:<10.6g} TARGET:-23 LUFS    "
                         f"M: {level:6.1f} S: {level:6.1f}     I: {level:6.1f} LUFS")  # fmt: skip
    return "\n".join(lines)


def test_sampling_error_is_small_for_steady_windows_and_large_for_varying_ones() -> None:
    steady = aa.sampling_error_db(_blocks([-20.0] * 16))
    varying = aa.sampling_error_db(_blocks([-20.0, -26.0] * 8))
    assert steady is not None and steady < 0.01
    assert varying is not None and varying > aa.SAMPLING_ERROR_DB
    assert aa.sampling_error_db(_blocks([-120.0] * 16)) is None, "silence: nothing to be sure of"
    assert aa.sampling_error_db("no blocks at all") is None


def test_each_sampling_pass_puts_its_windows_between_the_ones_before() -> None:
    taken: list[float] = []
    for pass_index in range(4):
        taken += aa.sample_positions(pass_index)
        ordered = sorted(taken)
        steps = {round(b - a, 6) for a, b in zip(ordered, ordered[1:], strict=False)}
        assert len(set(taken)) == len(taken), "no window twice"
        assert ordered[0] > 0 and ordered[-1] < aa.SAMPLES
        assert len(steps) == 1, f"evenly spread after pass {pass_index}: {steps}"
    assert len(taken) == 16 + 15 + 32 + 64


def test_a_long_file_may_sample_more_passes_than_a_song() -> None:
    song = aa.StreamFacts("mp3", "mp3", 44100, declared_s=180.0, start_s=0.0)
    podcast = aa.StreamFacts("mp3", "mp3", 44100, declared_s=3600.0, start_s=0.0)
    assert aa.sample_passes(song) == 2  # 16 + 15 windows
    assert aa.sample_passes(podcast) == 4  # 16 + 15 + 32 + 64 = 127 s, within 5 % of an hour
    audiobook = aa.StreamFacts("mp3", "mp3", 44100, declared_s=36000.0, start_s=0.0)
    assert aa.sample_passes(audiobook) == 4, "a pass opens the file at most 64 times"


def test_sampling_error_counts_the_windows_of_every_pass() -> None:
    one = aa.sampling_error_db(_blocks([-20.0, -26.0] * 8))
    both = aa.sampling_error_db(_blocks([-20.0, -26.0] * 8), _blocks([-20.0, -26.0] * 8))
    assert one is not None and both is not None
    assert both < one, "twice the windows, the same spread: a surer mean"


def test_an_mp3_s_windows_seek_by_its_table_of_contents_but_never_its_tail() -> None:
    mp3 = aa.StreamFacts("mp3", "mp3", 44100, declared_s=185.0, start_s=0.0)
    graph = aa.estimate_graph("amovie=x:f=mp3", mp3, AudioConfig())
    assert graph is not None
    head, tail, *windows = graph.split(";")
    assert "format_opts" not in head and "format_opts" not in tail
    seeks = [w for w in windows if ":sp=" in w]
    assert len(seeks) == aa.SAMPLES and all(":format_opts=usetoc=1:sp=" in w for w in seeks)
    assert "format_opts" not in (aa.estimate_graph("amovie=x:f=mp3", mp3, AudioConfig(),
                                                   toc=False) or "")  # fmt: skip
    assert "format_opts" in aa.more_samples_graph("amovie=x:f=mp3", mp3, 1)
    m4a = dataclasses.replace(mp3, demuxer="mov")
    assert "format_opts" not in (aa.estimate_graph("amovie=x:f=mov", m4a, AudioConfig()) or "")
