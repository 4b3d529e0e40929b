"""Trim, normalise and encode downloaded audio by streaming it through ffmpeg.

Why not pydub: ``AudioSegment`` holds the whole decoded file in memory (a 60-minute stereo
file is ~635 MB of PCM) and re-decodes through ffmpeg anyway. Here every byte of audio stays
inside ffmpeg, which streams, so memory stays flat (tens of MB) whatever the length.

Design (measured with the bundled ffmpeg 9, see ``bench/processing.py``):

1. **Analyse** - one decode that measures integrated loudness and sample peak (``ebur128``) and
   finds silence (``silencedetect``); stream facts (codec, declared duration) come from ffmpeg's
   own banner, so no ffprobe is needed. Sources that are lossless (FLAC, WAV, AIFF) are slow to
   decode and cheap to store, so this pass also writes them to a PCM intermediate that the
   encode pass reads instead of decoding a second time. Lossy sources decode in a thread
   beside the encoder, so decoding them twice costs no wall time and no disk.
2. **Encode** - ``atrim`` + ``volume`` (+ ``alimiter`` only when the gain would push peaks past
   the ceiling) into the wanted codec; or a stream copy when nothing would change.

True peak is expensive to measure (4x oversampling doubles the analysis pass), so loudness mode
works from the sample peak with ``_TRUE_PEAK_MARGIN_DB`` of headroom for inter-sample and codec
overshoot; peak mode, whose whole point is the peak, measures true peak.
"""

from __future__ import annotations

import errno
import math
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from .config import AudioConfig
from .errors import CancelledError, DiskError, PermanentError
from .models import Processed

# Headroom between a sample-peak estimate and the true-peak ceiling: covers the inter-sample
# peaks of typical masters and the overshoot a lossy encoder adds.
_TRUE_PEAK_MARGIN_DB = 1.0
# Lossy encoders overshoot even when the input's true peak is exact.
_LOSSY_OVERSHOOT_DB = 0.3
_MIN_SILENCE_S = 0.1
_KEEP_AT_LEAST_S = 0.5  # never trim a file down to nothing: it is all silence, keep it whole
_POLL_S = 0.05

# Demuxers we let ffmpeg use on downloaded files: no playlists (hls, concat) that could make
# ffmpeg open other local files named inside an untrusted download.
_DEMUXERS = ("mp3,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,ogg,flac,wav,w64,aiff,aac,caf,avi,flv,"
             "asf,mpegts,mpeg,wv,ape,amr,au,mpc,mpc8,tta,dts,ac3,eac3,truehd")  # fmt: skip
_LOSSLESS_MAGIC = (b"fLaC", b"RIFF", b"FORM", b"RF64")

# format -> (codec args, muxer, extension); bitrate is filled in by _encode_args.
_ENCODERS: dict[str, tuple[str, str, str]] = {
    "mp3": ("libmp3lame", "mp3", "mp3"),
    "m4a": ("aac", "ipod", "m4a"),
    "opus": ("libopus", "opus", "opus"),
    "flac": ("flac", "flac", "flac"),
}
# Source codec -> (muxer, extension) for stream copies.
_CONTAINERS: dict[str, tuple[str, str]] = {
    "mp3": ("mp3", "mp3"),
    "aac": ("ipod", "m4a"),
    "alac": ("ipod", "m4a"),
    "opus": ("opus", "opus"),
    "vorbis": ("ogg", "ogg"),
    "flac": ("flac", "flac"),
}
# The codec each format would produce: a source already in it needs no re-encode.
_FORMAT_CODEC = {"mp3": "mp3", "m4a": "aac", "opus": "opus", "flac": "flac"}
_VBR_FALLBACK = {"m4a": "256k", "opus": "192k"}  # "v0" means LAME VBR; others get a bitrate

_DISK_ERRORS = ("No space left on device", "Read-only file system", "Disk quota exceeded")
_NO_AUDIO = ("matches no streams", "does not contain any stream")


@dataclass(frozen=True)
class _Analysis:
    codec: str | None
    sample_rate: int
    declared_s: float | None
    decoded_s: float
    loudness_lufs: float | None  # None: too quiet to measure (silence)
    peak_db: float  # sample peak, or true peak when asked for
    silences: tuple[tuple[float, float], ...]
    intermediate: Path | None


class FfmpegAudioProcessor:
    """The ``AudioProcessor`` that drives one ffmpeg binary (see ``tools.find_ffmpeg``)."""

    def __init__(self, ffmpeg: Path) -> None:
        self.ffmpeg = ffmpeg

    def process(
        self,
        src: Path,
        dest_dir: Path,
        settings: AudioConfig,
        *,
        cancel: threading.Event | None = None,
    ) -> Processed:
        if settings.format not in (*_ENCODERS, "original"):
            raise PermanentError(f"audio.format {settings.format!r} is not one of "
                                 "mp3, m4a, opus, flac, original")  # fmt: skip
        _check_readable(src)
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _disk_error(exc, f"cannot create {dest_dir}") from exc
        scratch = dest_dir / ".audio-intermediate.wav"
        partial: Path | None = None
        try:
            analysis = self._analyse(src, settings, scratch, cancel)
            start, end = _trim_window(analysis, settings)
            gain, limit_db = _gain(analysis, settings)
            muxer, ext, codec_args = self._plan(analysis, settings, start, end, gain, limit_db)
            partial = dest_dir / f".audio-partial.{ext}"
            if codec_args == ["-c:a", "copy"]:
                start, end, gain, limit_db = 0.0, analysis.decoded_s, 0.0, None
            source = analysis.intermediate or src
            duration = self._encode(source, partial, muxer, codec_args,
                                    _filters(analysis, start, end, gain, limit_db),
                                    cancel)  # fmt: skip
            final = dest_dir / f"audio.{ext}"
            try:
                os.replace(partial, final)
            except OSError as exc:
                raise _disk_error(exc, f"cannot write {final}") from exc
        except BaseException:
            if partial is not None:
                partial.unlink(missing_ok=True)
            raise
        finally:
            scratch.unlink(missing_ok=True)
        loudness = None if analysis.loudness_lufs is None else analysis.loudness_lufs + gain
        peak = (
            analysis.peak_db + gain if limit_db is None else min(limit_db, analysis.peak_db + gain)
        )
        return Processed(path=final, duration_s=duration, loudness_lufs=loudness, gain_db=gain,
                         true_peak_db=peak if math.isfinite(peak) else None,
                         trimmed_s=max(0.0, analysis.decoded_s - (end - start)))  # fmt: skip

    def _analyse(
        self, src: Path, settings: AudioConfig, scratch: Path, cancel: threading.Event | None
    ) -> _Analysis:
        peak = "true" if settings.normalize == "peak" else "sample"
        chain = (f"aformat=channel_layouts=mono|stereo,"
                 f"silencedetect=n={settings.silence_threshold_db}dB:d={_MIN_SILENCE_S},"
                 f"ebur128=peak={peak}:framelog=quiet")  # fmt: skip
        keep = _is_lossless(src) and settings.format != "original"
        out = ["-c:a", "pcm_s24le", "-rf64", "auto", "-f", "wav", "-y", str(scratch)] if keep \
            else ["-f", "null", "-"]  # fmt: skip
        log = self._run([*_input(src), "-af", chain, *out], cancel, src)
        declared = re.search(r"Duration: (\d+):(\d\d):(\d\d\.\d+)", log)
        codec = re.search(r"Stream #0:\d+[^:]*: Audio: (\w+)[^,]*, (\d+) Hz", log)
        loud = re.findall(r"I:\s+(-?[\d.]+|-inf|nan) LUFS", log)
        peaks = re.findall(r"Peak:\s+(-?[\d.]+|-inf|nan) dBFS", log)
        decoded = _last_time(log)
        if decoded is None or not loud:
            raise PermanentError(f"{src.name}: ffmpeg decoded no audio from it")
        declared_s = _hms(*declared.groups()) if declared else None
        if declared_s and decoded < declared_s * 0.9 - 1.0:
            raise PermanentError(f"{src.name} is truncated: only {decoded:.1f} s of its "
                                 f"{declared_s:.1f} s decode; download it again")  # fmt: skip
        lufs = float(loud[-1])
        return _Analysis(
            codec=codec.group(1) if codec else None,
            sample_rate=int(codec.group(2)) if codec else 48000,
            declared_s=declared_s,
            decoded_s=decoded,
            loudness_lufs=lufs if math.isfinite(lufs) and lufs > -70 else None,
            peak_db=max(float(p) for p in peaks) if peaks else 0.0,
            silences=_silences(log, decoded),
            intermediate=scratch if keep else None,
        )

    def _plan(
        self,
        analysis: _Analysis,
        settings: AudioConfig,
        start: float,
        end: float,
        gain: float,
        limit_db: float | None,
    ) -> tuple[str, str, list[str]]:
        """The muxer, extension and codec arguments of the output."""
        copy = ["-c:a", "copy"]
        if settings.format == "original":
            muxer, ext = _CONTAINERS.get(analysis.codec or "", ("matroska", "mka"))
            return muxer, ext, copy
        encoder, muxer, ext = _ENCODERS[settings.format]
        untouched = gain == 0.0 and limit_db is None and (end - start) >= analysis.decoded_s - 0.01
        if untouched and analysis.codec == _FORMAT_CODEC[settings.format]:
            return muxer, ext, copy
        return muxer, ext, _encode_args(settings, encoder)

    def _encode(
        self,
        source: Path,
        dest: Path,
        muxer: str,
        codec_args: list[str],
        filters: str,
        cancel: threading.Event | None,
    ) -> float:
        args = [*_input(source), "-map_metadata", "-1"]
        if filters and codec_args != ["-c:a", "copy"]:
            args += ["-af", filters]
        args += [*codec_args, "-f", muxer, "-y", str(dest)]
        log = self._run(args, cancel, source)
        duration = _last_time(log)
        if duration is None:
            raise PermanentError(f"{source.name}: ffmpeg wrote no audio")
        return duration

    def _run(self, args: list[str], cancel: threading.Event | None, src: Path) -> str:
        """Run ffmpeg, killing it as soon as ``cancel`` is set; its stderr on success."""
        cmd = [str(self.ffmpeg), "-hide_banner", "-nostdin", "-nostats", *args]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)  # fmt: skip
        stderr = b""
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise CancelledError(f"processing {src.name} was cancelled")
                try:
                    _, stderr = proc.communicate(timeout=_POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    continue
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        log = stderr.decode("utf-8", "replace")
        if proc.returncode != 0:
            raise _error_from(log, src)
        return log


def _input(path: Path) -> list[str]:
    # "file:" stops a name like "http:x" or "-x" from being read as a URL or an option.
    return ["-format_whitelist", _DEMUXERS, "-i", f"file:{path}",
            "-map", "0:a:0", "-vn", "-sn", "-dn"]  # fmt: skip


def _check_readable(src: Path) -> None:
    try:
        size = src.stat().st_size
    except OSError as exc:
        raise PermanentError(f"cannot read downloaded file {src}: {exc.strerror}") from exc
    if size == 0:
        raise PermanentError(f"{src.name} is empty (0 bytes); the download produced no audio")


def _is_lossless(src: Path) -> bool:
    with src.open("rb") as fh:
        head = fh.read(4)
    return head in _LOSSLESS_MAGIC


def _error_from(log: str, src: Path) -> Exception:
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    last = lines[-1] if lines else "no output"
    for marker in _DISK_ERRORS:
        if marker in log:
            return DiskError(f"writing processed audio for {src.name} failed: {marker}; "
                             "free space or fix the staging dir; it will retry")  # fmt: skip
    if any(marker in log for marker in _NO_AUDIO):
        return PermanentError(f"{src.name} has no audio stream")
    if "Invalid data found" in log or "moov atom not found" in log:
        return PermanentError(f"{src.name} is not a playable audio/video file ({last})")
    return PermanentError(f"ffmpeg could not process {src.name}: {last}")


def _hms(hours: str, minutes: str, seconds: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _last_time(log: str) -> float | None:
    times = re.findall(r"time=(\d+):(\d\d):(\d\d\.\d+)", log)
    return _hms(*times[-1]) if times else None


def _silences(log: str, decoded: float) -> tuple[tuple[float, float], ...]:
    starts = [float(s) for s in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [float(e) for e in re.findall(r"silence_end: (-?[\d.]+)", log)]
    ends += [decoded] * (len(starts) - len(ends))  # silence running into the end of the file
    return tuple(zip(starts, ends, strict=True))


def _trim_window(analysis: _Analysis, settings: AudioConfig) -> tuple[float, float]:
    """Start and end (seconds) of the audio to keep."""
    start, end = 0.0, analysis.decoded_s
    if not settings.trim_silence or settings.format == "original":
        return start, end
    for silence_start, silence_end in analysis.silences:
        if silence_start <= 0.01:
            start = max(start, silence_end)
        if silence_end >= analysis.decoded_s - 0.05:
            end = min(end, max(silence_start, 0.0))
    if end - start < _KEEP_AT_LEAST_S:
        return 0.0, analysis.decoded_s
    return start, end


def _gain(analysis: _Analysis, settings: AudioConfig) -> tuple[float, float | None]:
    """The gain to apply (dB) and the limiter ceiling (dBFS sample peak) if one is needed."""
    if settings.format == "original" or settings.normalize == "off":
        return 0.0, None
    lossy = settings.format in ("mp3", "m4a", "opus")
    if settings.normalize == "peak":
        # analysis.peak_db is a true peak here.
        target = settings.true_peak_db - (_LOSSY_OVERSHOOT_DB if lossy else 0.0)
        return round(target - analysis.peak_db, 2) if math.isfinite(analysis.peak_db) else 0.0, None
    if analysis.loudness_lufs is None:
        return 0.0, None
    gain = round(settings.target_lufs - analysis.loudness_lufs, 2)
    ceiling = settings.true_peak_db - _TRUE_PEAK_MARGIN_DB
    if math.isfinite(analysis.peak_db) and analysis.peak_db + gain > ceiling:
        return gain, ceiling
    return gain, None


def _filters(
    analysis: _Analysis, start: float, end: float, gain: float, limit_db: float | None
) -> str:
    parts = ["aformat=channel_layouts=mono|stereo"]
    if start > 0 or end < analysis.decoded_s:
        parts.append(f"atrim=start={start:.6f}:end={end:.6f},asetpts=PTS-STARTPTS")
    if gain:
        parts.append(f"volume={gain:.2f}dB")
    if limit_db is not None:
        linear = 10 ** (limit_db / 20)
        rate = analysis.sample_rate
        # Limiting at 4x the rate catches the inter-sample peaks a plain limiter lets through;
        # level=0: do not "auto level" back up to the limit; latency=1: keep timing unchanged.
        parts.append(f"aresample={rate * 4},"
                     f"alimiter=limit={linear:.5f}:attack=5:release=50:level=0:latency=1,"
                     f"aresample={rate}")  # fmt: skip
    return ",".join(parts)


def _encode_args(settings: AudioConfig, encoder: str) -> list[str]:
    if encoder == "flac":
        return ["-c:a", "flac"]
    bitrate = settings.bitrate.lower()
    if bitrate == "v0":
        if encoder == "libmp3lame":
            return ["-c:a", encoder, "-q:a", "0"]
        bitrate = _VBR_FALLBACK[settings.format]
    return ["-c:a", encoder, "-b:a", bitrate]


def _disk_error(exc: OSError, what: str) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
        return DiskError(f"{what}: {exc.strerror}; free space or fix the staging directory")
    return exc
