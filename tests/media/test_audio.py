"""FfmpegAudioProcessor on real files made by the bundled ffmpeg."""

from __future__ import annotations

import errno
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from spotsyncd.core.config import AudioConfig
from spotsyncd.core.errors import CancelledError, PermanentError
from spotsyncd.identity.fingerprint import fingerprint
from spotsyncd.media import audio_analysis as aa
from spotsyncd.media.audio import FfmpegAudioProcessor
from spotsyncd.media.ffmpeg_jobs import FfmpegJobs
from tests.fakes.audio import FFMPEG, duration, loudness, make_audio, probe_json

TONE_S, LEAD_S, TAIL_S = 3.0, 1.0, 1.5


@pytest.fixture
def processor() -> FfmpegAudioProcessor:
    return FfmpegAudioProcessor(Path(FFMPEG))


def _tone(tmp_path: Path, ext: str, **kwargs: float) -> Path:
    kwargs.setdefault("seconds", TONE_S)
    return make_audio(tmp_path / f"src.{ext}", **kwargs)  # type: ignore[arg-type]


def _assert_only(dest: Path, name: str) -> None:
    assert sorted(p.name for p in dest.iterdir()) == [name], "no partial or scratch files"


@pytest.mark.e2e
@pytest.mark.parametrize("ext", ["mp3", "m4a", "opus", "ogg", "flac", "wav"])
def test_every_input_codec_becomes_loudness_normalised_trimmed_mp3(
    processor: FfmpegAudioProcessor, tmp_path: Path, ext: str
) -> None:
    src = _tone(tmp_path, ext, lead_silence=LEAD_S, tail_silence=TAIL_S, volume_db=-6)
    dest = tmp_path / "out"

    result = processor.process(src, dest, AudioConfig())

    assert result.path == dest / "audio.mp3"
    _assert_only(dest, "audio.mp3")
    assert probe_json(result.path)["codec"] == "mp3"
    measured = loudness(result.path)
    assert abs(measured["lufs"] - -14.0) <= 1.0
    assert measured["true_peak"] <= -1.0 + 0.2
    assert duration(result.path) == pytest.approx(TONE_S, abs=0.15)
    assert result.duration_s == pytest.approx(TONE_S, abs=0.15)
    assert result.trimmed_s == pytest.approx(LEAD_S + TAIL_S, abs=0.15)
    assert result.lead_trimmed_s == pytest.approx(LEAD_S, abs=0.15)  # chapters move by this
    assert result.loudness_lufs == pytest.approx(-14.0, abs=0.05)


def _peaky(path: Path, *, seconds: float, tone_db: float, click_every_s: float) -> Path:
    """A 440 Hz tone with 2 ms clicks at 0.9 every ``click_every_s``, as FLAC."""
    graph = (f"sine=f=440:sample_rate=44100:duration={seconds},volume={tone_db}dB[tone];"
             f"aevalsrc='if(lt(mod(t,{click_every_s}),0.002),0.9,0)':s=44100:d={seconds}[clicks];"
             "[tone][clicks]amix=inputs=2:normalize=0,aformat=channel_layouts=stereo")  # fmt: skip
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-filter_complex", graph,
                    "-c:a", "flac", str(path)], check=True)  # fmt: skip
    return path


@pytest.mark.e2e
def test_quiet_peaky_input_is_limited_to_the_true_peak_ceiling(
    processor: FfmpegAudioProcessor, tmp_path: Path
) -> None:
    # A quiet tone with loud clicks: reaching -14 LUFS needs a gain the peaks cannot take.
    src = _peaky(tmp_path / "peaky.flac", seconds=6, tone_db=0, click_every_s=1)
    before = loudness(src)
    assert before["true_peak"] - before["lufs"] > 13, "the fixture must be peaky"

    result = processor.process(src, tmp_path / "out", AudioConfig(trim_silence=False))

    measured = loudness(result.path)
    assert measured["true_peak"] <= -1.0 + 0.2
    assert abs(measured["lufs"] - -14.0) <= 1.0


@pytest.mark.parametrize(("fmt", "codec"), [("m4a", "aac"), ("opus", "opus"), ("flac", "flac")])
def test_each_output_format(
    processor: FfmpegAudioProcessor, tmp_path: Path, fmt: str, codec: str
) -> None:
    src = _tone(tmp_path, "mp3", lead_silence=LEAD_S)
    result = processor.process(src, tmp_path / "out", AudioConfig(format=fmt))
    assert result.path.name == f"audio.{fmt}"
    assert probe_json(result.path)["codec"] == codec
    assert abs(loudness(result.path)["lufs"] - -14.0) <= 1.0
    assert duration(result.path) == pytest.approx(TONE_S, abs=0.15)


@pytest.mark.parametrize(("bitrate", "low", "high"), [("128k", 100, 160), ("320k", 280, 360)])
def test_mp3_bitrate_setting_is_used(
    processor: FfmpegAudioProcessor, tmp_path: Path, bitrate: str, low: int, high: int
) -> None:
    src = _tone(tmp_path, "flac", seconds=6.0)
    result = processor.process(src, tmp_path / "out", AudioConfig(bitrate=bitrate))
    kbps = result.path.stat().st_size * 8 / 1000 / result.duration_s
    assert low <= kbps <= high


def test_v0_is_vbr(processor: FfmpegAudioProcessor, tmp_path: Path) -> None:
    src = _tone(tmp_path, "wav")
    result = processor.process(src, tmp_path / "out", AudioConfig(bitrate="v0"))
    head = result.path.read_bytes()[:4096]
    assert b"Xing" in head, "a LAME VBR file carries a Xing header (CBR has Info)"


@pytest.mark.parametrize(
    ("src_ext", "out_ext"), [("m4a", "m4a"), ("opus", "opus"), ("flac", "flac")]
)
def test_original_keeps_the_source_stream(
    processor: FfmpegAudioProcessor, tmp_path: Path, src_ext: str, out_ext: str
) -> None:
    src = _tone(tmp_path, src_ext, lead_silence=LEAD_S)
    before = loudness(src)
    result = processor.process(src, tmp_path / "out", AudioConfig(format="original"))
    assert result.path.name == f"audio.{out_ext}"
    assert probe_json(result.path)["codec"] == probe_json(src)["codec"]
    assert loudness(result.path)["lufs"] == pytest.approx(before["lufs"], abs=0.1)
    assert result.gain_db == 0.0
    assert result.loudness_lufs == pytest.approx(before["lufs"], abs=0.2), "for ReplayGain"


def test_original_takes_only_the_audio_of_a_video(
    processor: FfmpegAudioProcessor, tmp_path: Path
) -> None:
    src = tmp_path / "clip.mp4"
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error",
                    "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3",
                    "-f", "lavfi", "-i", "sine=f=440:duration=3", "-c:v", "libx264",
                    "-c:a", "aac", "-shortest", str(src)], check=True)  # fmt: skip
    for fmt, name in (("original", "audio.m4a"), ("mp3", "audio.mp3")):
        result = processor.process(src, tmp_path / fmt, AudioConfig(format=fmt))
        assert result.path.name == name
        banner = subprocess.run([FFMPEG, "-hide_banner", "-i", str(result.path)],
                                capture_output=True, text=True).stderr  # fmt: skip
        assert "Video:" not in banner and "Audio:" in banner


@pytest.mark.e2e
def test_the_audio_of_a_video_that_starts_late_is_trimmed_and_normalised_in_one_encode(
    processor: FfmpegAudioProcessor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Decoded inside the filter graph with a video stream beside it, timed from the audio's
    own start (0.3 s after the file's: its leading second of silence is found and trimmed),
    and no silence at the end: the encode from the estimate is measured in line and kept, and
    ffmpeg ends cleanly."""
    tone = make_audio(tmp_path / "tone.m4a", seconds=40, lead_silence=1.0, volume_db=-9)
    src = tmp_path / "clip.mp4"
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error",
                    "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=41",
                    "-itsoffset", "0.3", "-i", str(tone), "-map", "0:v", "-map", "1:a",
                    "-c:v", "mpeg4", "-c:a", "copy", str(src)], check=True)  # fmt: skip
    with caplog.at_level("DEBUG", logger="spotsyncd.media.audio"):
        result = processor.process(src, tmp_path / "out", AudioConfig())
    assert "kept the encode" in caplog.text
    assert duration(result.path) == pytest.approx(40.0, abs=0.15)
    measured = loudness(result.path)
    assert abs(measured["lufs"] - -14.0) <= 0.5
    assert result.loudness_lufs is not None and abs(result.loudness_lufs - measured["lufs"]) < 0.6
    _assert_only(tmp_path / "out", "audio.mp3")


def test_peak_mode_puts_the_true_peak_at_the_ceiling(
    processor: FfmpegAudioProcessor, tmp_path: Path
) -> None:
    src = _tone(tmp_path, "flac", volume_db=-12)
    result = processor.process(src, tmp_path / "out", AudioConfig(normalize="peak"))
    peak = loudness(result.path)["true_peak"]
    assert -2.0 <= peak <= -1.0 + 0.2


def test_off_mode_leaves_the_level_but_measures_it(
    processor: FfmpegAudioProcessor, tmp_path: Path
) -> None:
    src = _tone(tmp_path, "wav", volume_db=-5, lead_silence=LEAD_S)
    before = loudness(src)
    result = processor.process(src, tmp_path / "out", AudioConfig(normalize="off"))
    assert loudness(result.path)["lufs"] == pytest.approx(before["lufs"], abs=0.5)
    assert result.gain_db == 0.0
    assert result.loudness_lufs == pytest.approx(before["lufs"], abs=0.5)
    assert result.true_peak_db is not None and result.true_peak_db < -10
    assert duration(result.path) == pytest.approx(TONE_S, abs=0.15), "still trimmed"


def test_same_codec_with_nothing_to_change_is_copied_bit_for_bit(
    processor: FfmpegAudioProcessor, tmp_path: Path
) -> None:
    src = _tone(tmp_path, "mp3")
    settings = AudioConfig(normalize="off", trim_silence=False)
    result = processor.process(src, tmp_path / "out", settings)
    # A stream copy keeps every audio frame; a re-encode would not reproduce them.
    frames = src.read_bytes()[-20000:-2000]
    assert frames in result.path.read_bytes()


@pytest.mark.e2e
def test_cancel_kills_ffmpeg_quickly(processor: FfmpegAudioProcessor, tmp_path: Path) -> None:
    src = _tone(tmp_path, "flac", seconds=600.0)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(CancelledError):
        processor.process(src, tmp_path / "out", AudioConfig(format="opus"), cancel=cancel)
    assert time.monotonic() - started < 2.0
    assert list((tmp_path / "out").iterdir()) == []


def _html(path: Path) -> None:
    path.write_text("<!doctype html><html><body>Sign in to confirm you're not a bot</body></html>")


def _truncated_flac(path: Path) -> None:
    full = make_audio(path.with_name("full.flac"), seconds=20.0)
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 3])


def _truncated_m4a(path: Path) -> None:
    full = make_audio(path.with_name("full.m4a"), seconds=5.0)
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])


def _silent_video(path: Path) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                    "-i", "testsrc=size=64x48:rate=10:duration=1", "-c:v", "libx264",
                    str(path)], check=True)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("page.mp3", _html, "not a playable"),
        ("cut.flac", _truncated_flac, "truncated"),
        ("cut.m4a", _truncated_m4a, "cut.m4a"),
        ("empty.webm", lambda p: p.write_bytes(b""), "empty"),
        ("video.mp4", _silent_video, "no audio stream"),
    ],
)
def test_garbage_input_is_a_permanent_error(
    processor: FfmpegAudioProcessor, tmp_path: Path, name: str, make: object, says: str
) -> None:
    src = tmp_path / name
    make(src)  # type: ignore[operator]
    dest = tmp_path / "out"
    with pytest.raises(PermanentError, match=says):
        processor.process(src, dest, AudioConfig())
    assert not dest.exists() or list(dest.iterdir()) == []


def test_unknown_format_setting_is_refused(processor: FfmpegAudioProcessor, tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="audio.format"):
        processor.process(_tone(tmp_path, "mp3"), tmp_path / "out", AudioConfig(format="wma"))


@pytest.mark.e2e
def test_long_file_is_analysed_in_two_halves_with_whole_file_loudness(
    processor: FfmpegAudioProcessor, tmp_path: Path
) -> None:
    # Quiet first half, loud second half, and silence around the split point: the halves'
    # blocks must gate as one file, and the silence must not be cut (it is not at an end).
    src = tmp_path / "long.opus"
    graph = ("sine=f=330:sample_rate=48000:duration=14,volume=-20dB,apad=pad_dur=4[a];"
             "sine=f=550:sample_rate=48000:duration=18[b];"
             "[a][b]concat=n=2:v=0:a=1,adelay=1500:all=1,apad=pad_dur=2,"
             "aformat=channel_layouts=stereo")  # fmt: skip
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-filter_complex", graph,
                    "-c:a", "libopus", "-b:a", "96k", str(src)], check=True)  # fmt: skip
    whole = loudness(src)

    result = processor.process(src, tmp_path / "out", AudioConfig())

    assert result.gain_db is not None and result.loudness_lufs is not None
    assert result.loudness_lufs - result.gain_db == pytest.approx(whole["lufs"], abs=0.15)
    assert abs(loudness(result.path)["lufs"] - -14.0) <= 1.0
    assert duration(result.path) == pytest.approx(14 + 4 + 18, abs=0.15)
    assert result.trimmed_s == pytest.approx(1.5 + 2.0, abs=0.15)
    _assert_only(tmp_path / "out", "audio.mp3")


def _bed_with_burst(path: Path, burst_at: float | None) -> Path:
    bed = "sine=f=440:sample_rate=48000:duration=60,volume=-15dB"
    graph = f"{bed},aformat=channel_layouts=stereo"
    if burst_at is not None:
        # 3 kHz (K-weighting adds ~3.5 dB) 7 dB over the bed's peak for 1.5 s: ~1 LU more
        # for the whole file, and peaks the gain for -14 LUFS keeps under the ceiling (no
        # limiter). Gated by time, not delayed: amix would mix a delayed stream from its start.
        during = f"between(t,{burst_at:.3f},{burst_at + 1.5:.3f})"
        burst = (f"sine=f=3000:sample_rate=48000:duration=60,volume=eval=frame:"
                 f"volume='if({during},0.398,0)'")  # fmt: skip
        mix = "amix=inputs=2:normalize=0,aformat=channel_layouts=stereo"
        graph = f"{bed}[bed];{burst}[burst];[bed][burst]{mix}"
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-filter_complex", graph,
                    "-c:a", "libopus", "-b:a", "64k", str(path)], check=True)  # fmt: skip
    return path


# Between the 5th and 6th of the estimate's samples (1 s windows spread over the 60 s).
_BETWEEN_SAMPLES = 60.01 * 4.5 / aa.SAMPLES + aa.SAMPLE_S / 2 + 0.25


@pytest.mark.e2e
@pytest.mark.parametrize(("burst_at", "kept"), [(None, True), (_BETWEEN_SAMPLES, False)])
def test_encode_from_the_estimate_is_kept_only_when_the_measurement_agrees(
    processor: FfmpegAudioProcessor,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    burst_at: float | None,
    kept: bool,
) -> None:
    # The estimate samples 1 s every 3 s of a 60 s file (13-14 s, 16-17 s, ...): a loud burst
    # between samples is missed, so the encode started from the estimate must be redone.
    src = _bed_with_burst(tmp_path / "burst.opus", burst_at)
    with caplog.at_level("DEBUG", logger="spotsyncd.media.audio"):
        result = processor.process(src, tmp_path / "out", AudioConfig())
    assert ("kept the encode" in caplog.text) is kept
    assert ("encoding again" in caplog.text) is not kept
    measured = loudness(result.path)
    assert abs(measured["lufs"] - -14.0) <= 1.0
    assert result.loudness_lufs is not None and abs(result.loudness_lufs - measured["lufs"]) < 0.6
    _assert_only(tmp_path / "out", "audio.mp3")


@pytest.mark.e2e
@pytest.mark.parametrize("varying", [False, True])
def test_an_unsure_first_guess_samples_more_before_encoding(
    processor: FfmpegAudioProcessor,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    varying: bool,
) -> None:
    # 64 s: steady, or 4 s sections alternating 8 dB apart (the first windows disagree).
    src = tmp_path / "sections.opus"
    level = "if(lt(mod(t,8),4),1,0.4)" if varying else "0.7"
    graph = (f"sine=f=440:sample_rate=48000:duration=64,volume=eval=frame:volume='{level}',"
             "aformat=channel_layouts=stereo")  # fmt: skip
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-filter_complex", graph,
                    "-c:a", "libopus", "-b:a", "96k", str(src)], check=True)  # fmt: skip

    with caplog.at_level("DEBUG", logger="spotsyncd.media.audio"):
        result = processor.process(src, tmp_path / "out", AudioConfig())

    assert ("sampled more" in caplog.text) is varying
    assert "kept the encode" in caplog.text, "the guess was close enough to keep its encode"
    assert abs(loudness(result.path)["lufs"] - -14.0) <= 1.0


@pytest.mark.e2e
def test_a_file_may_sample_again_while_its_windows_still_disagree(
    processor: FfmpegAudioProcessor,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if this minute were a long file: windows may take up all of it. 4 s sections 8 dB
    # apart still disagree after 31 windows, so a third pass samples 32 more.
    monkeypatch.setattr(aa, "MAX_SAMPLED_SHARE", 1.0)
    src = tmp_path / "sections.opus"
    graph = ("sine=f=440:sample_rate=48000:duration=64,volume=eval=frame:"
             "volume='if(lt(mod(t,8),4),1,0.4)',aformat=channel_layouts=stereo")  # fmt: skip
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-filter_complex", graph,
                    "-c:a", "libopus", "-b:a", "96k", str(src)], check=True)  # fmt: skip

    with caplog.at_level("DEBUG", logger="spotsyncd.media.audio"):
        result = processor.process(src, tmp_path / "out", AudioConfig())

    assert caplog.text.count("sampled more") == 2
    assert abs(loudness(result.path)["lufs"] - -14.0) <= 1.0


@pytest.mark.e2e
def test_an_estimate_that_needs_the_limiter_is_measured_before_one_encode(
    processor: FfmpegAudioProcessor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Long enough to be estimated; quiet with loud clicks in every sample the estimate takes,
    # so the estimate already needs the limiter: an encode from it could never be kept.
    src = _peaky(tmp_path / "peaky-long.flac", seconds=40, tone_db=-12, click_every_s=0.5)
    started: list[list[str]] = []
    real_start = FfmpegJobs.start

    def start(self: FfmpegJobs, args: list[str], **kwargs: Any) -> Any:
        started.append(args)
        return real_start(self, args, **kwargs)

    with (
        caplog.at_level("DEBUG", logger="spotsyncd.media.audio"),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(FfmpegJobs, "start", start)
        result = processor.process(src, tmp_path / "out", AudioConfig(trim_silence=False))

    assert "the estimate needs the limiter" in caplog.text
    encodes = [args for args in started if "libmp3lame" in args]
    assert len(encodes) == 1, "one encode, with the limiter: none from the estimate"
    assert any("alimiter" in arg for arg in encodes[0])
    measured = loudness(result.path)
    assert measured["true_peak"] <= -1.0 + 0.2
    assert abs(measured["lufs"] - -14.0) <= 1.0
    _assert_only(tmp_path / "out", "audio.mp3")


@pytest.mark.e2e
def test_an_ffmpeg_without_amovie_format_opts_samples_mp3_with_exact_seeks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Older ffmpeg (amovie without ``format_opts``): the first estimate that seeks an mp3 by
    its table of contents fails there, is run again with exact seeks, and the processor does
    not try again. An ffmpeg in front of the real one refuses the option as the old ones do."""
    calls = tmp_path / "calls.txt"
    old = tmp_path / "old-ffmpeg"
    old.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *format_opts*) echo x >> {calls}; '
        "echo \"Error applying option 'format_opts' to filter 'amovie': Option not found\" >&2;"
        " exit 1;; esac\n"
        f'exec {FFMPEG} "$@"\n'
    )
    old.chmod(0o755)
    processor = FfmpegAudioProcessor(old)
    with caplog.at_level("DEBUG", logger="spotsyncd.media.audio"):
        for n in range(2):
            src = _tone(tmp_path, "mp3", seconds=40, lead_silence=1.0, volume_db=-9 - n)
            result = processor.process(src, tmp_path / f"out{n}", AudioConfig())
            assert "kept the encode" in caplog.text
            assert duration(result.path) == pytest.approx(40.0, abs=0.15)
            assert abs(loudness(result.path)["lufs"] - -14.0) <= 0.5
    assert calls.read_text().count("x") == 1, "tried once, then exact seeks only"
    assert caplog.text.count("no format_opts") == 1


def test_a_staging_file_system_without_symbolic_links_uses_a_hard_link(
    processor: FfmpegAudioProcessor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some NAS shares refuse symlinks; the graph reads the download through a hard link."""

    def refuse(self: Path, target: Any, target_is_directory: bool = False) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    src = _tone(tmp_path, "mp3", seconds=40, lead_silence=1.0, volume_db=-9)
    result = processor.process(src, tmp_path / "out", AudioConfig())
    assert duration(result.path) == pytest.approx(40.0, abs=0.15)
    _assert_only(tmp_path / "out", "audio.mp3")
    assert src.stat().st_nlink == 1, "the link is gone again"


@pytest.mark.e2e
@pytest.mark.parametrize("ext", ["mp3", "m4a", "opus", "flac"])
def test_the_encode_takes_the_fingerprint_a_separate_process_would(
    processor: FfmpegAudioProcessor, tmp_path: Path, ext: str
) -> None:
    src = make_audio(tmp_path / f"src.{ext}", seconds=6.0, lead_silence=1.0, volume_db=-9)
    separate = fingerprint(Path(FFMPEG), src)
    dest = tmp_path / "out"

    result = processor.process(src, dest, AudioConfig(), fingerprint=True)

    assert separate is not None and result.fingerprint == separate  # trimmed, gained: same print
    _assert_only(dest, "audio.mp3")
    assert processor.process(src, tmp_path / "plain", AudioConfig()).fingerprint is None


@pytest.mark.e2e
def test_the_encode_takes_the_print_ffmpeg_alone_gives(
    processor: FfmpegAudioProcessor, tmp_path: Path
) -> None:
    """What fpcalc, or a stand-in computing prints with ``ffmpeg -i FILE -f chromaprint``,
    gets from the same file. Mixing the channels to mono before the muxer changed one item of
    this AAC file's 463 (the muxer's Chromaprint mixes them itself): noise with a fixed seed."""
    src = tmp_path / "music.m4a"
    graph = ("anoisesrc=color=pink:sample_rate=44100:amplitude=0.3:duration=60:seed=6[n];"
             "sine=f=220:sample_rate=44100:duration=60[s];"
             "[n][s]amix=inputs=2,tremolo=f=2,aformat=channel_layouts=stereo")  # fmt: skip
    subprocess.run([FFMPEG, "-v", "error", "-filter_complex", graph, "-c:a", "aac", "-b:a", "160k",
                    str(src)], check=True)  # fmt: skip
    alone = subprocess.run([FFMPEG, "-v", "error", "-i", str(src), "-f", "chromaprint",
                            "-fp_format", "base64", "-"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip

    result = processor.process(src, tmp_path / "out", AudioConfig(), fingerprint=True)

    assert result.fingerprint is not None and result.fingerprint.value == alone


@pytest.mark.e2e
def test_a_stream_copy_gives_no_fingerprint(
    processor: FfmpegAudioProcessor, tmp_path: Path
) -> None:
    src = make_audio(tmp_path / "src.m4a", seconds=3.0)
    dest = tmp_path / "out"

    result = processor.process(src, dest, AudioConfig(format="original"), fingerprint=True)

    assert result.fingerprint is None  # no decode to share: the caller runs its own process
    _assert_only(dest, "audio.m4a")


@pytest.mark.e2e
def test_an_ffmpeg_without_the_chromaprint_muxer_encodes_without_a_fingerprint(
    tmp_path: Path,
) -> None:
    """A system ffmpeg (``download.ffmpeg``) may lack the muxer: the encode must not fail on it."""
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *" -muxers "*) "{FFMPEG}" "$@" | grep -v chromaprint; exit 0;; esac\n'
        'case " $* " in *" chromaprint "*) echo "Unknown output format" >&2; exit 1;; esac\n'
        f'exec "{FFMPEG}" "$@"\n'
    )
    wrapper.chmod(0o755)
    src = make_audio(tmp_path / "src.mp3", seconds=3.0, volume_db=-9)

    result = FfmpegAudioProcessor(wrapper).process(src, tmp_path / "out", AudioConfig(),
                                                   fingerprint=True)  # fmt: skip

    assert result.fingerprint is None and result.path.is_file()
