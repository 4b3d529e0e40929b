"""Trim, normalise and encode downloaded audio by streaming it through ffmpeg.

Why not pydub: ``AudioSegment`` holds the whole decoded file in memory (a 60-minute stereo
file is ~635 MB of PCM) and re-decodes through ffmpeg anyway. Here the audio stays inside
ffmpeg, which streams, so memory stays flat (tens of MB) whatever the length. pydub would add
nothing but that cost, so it is not used.

Design, measured with the bundled ffmpeg 9 (``python -m bench.processing``):

1. **Probe** - ``ffmpeg -i`` alone (~20 ms): codec, sample rate, duration, demuxer. There is no
   ffprobe in the bundle; the banner has what we need, and garbage fails here clearly.
2. **Analyse** - integrated loudness and sample peak (``ebur128``) and silence
   (``silencedetect``). The encoder is single-threaded and the analysis must finish before it
   starts, so the analysis is made as short as it can be: the two halves of the file are
   decoded by two processes at once, each inside its filter graph (``amovie``; ffmpeg 9's
   per-frame thread hand-offs cost more than the decode itself), and integrated loudness is
   gated over both halves' 100 ms blocks (``audio_analysis``). Lossless sources (FLAC, WAV,
   AIFF) are decoded once instead, into a PCM intermediate that the encode pass reads.
3. **Encode** - ``atrim`` + ``volume`` (+ an oversampled ``alimiter`` only when the gain would
   push peaks past the ceiling) into the wanted codec; or a stream copy when nothing changes.

True peak is expensive to measure (4x oversampling doubles the analysis), so loudness mode
works from the sample peak with a 1 dB margin below the true-peak ceiling; peak mode, whose
whole point is the peak, measures true peak.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from . import audio_analysis as aa
from .config import AudioConfig
from .errors import CancelledError, DiskError, PermanentError
from .models import Processed

_POLL_S = 0.05
_SPLIT_FROM_S = 20.0  # shorter files are analysed by one process: a second costs more than it saves

# Demuxers we let ffmpeg use on downloaded files: no playlists (hls, concat) that could make
# ffmpeg open other local files named inside an untrusted download.
_DEMUXERS = ("mp3,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,ogg,flac,wav,w64,aiff,aac,caf,avi,flv,"
             "asf,mpegts,mpeg,wv,ape,amr,au,mpc,mpc8,tta,dts,ac3,eac3,truehd")  # fmt: skip
_LOSSLESS_MAGIC = (b"fLaC", b"RIFF", b"FORM", b"RF64")

# format -> (encoder, muxer, extension)
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
_COPY = ["-c:a", "copy"]

_DISK_ERRORS = ("No space left on device", "Read-only file system", "Disk quota exceeded")
_NO_AUDIO = ("matches no streams", "does not contain any stream")


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
        link = dest_dir / ".audio-source"
        partial: Path | None = None
        try:
            facts = self._probe(src, cancel)
            if _is_lossless(src) and settings.format != "original":
                analysis = self._analyse_into(src, facts, settings, scratch, cancel)
                source = scratch
            else:
                analysis = self._analyse_halves(src, facts, settings, link, cancel)
                source = src
            chosen = aa.plan(analysis, settings)
            muxer, ext, codec_args = _output(analysis, settings, chosen)
            if codec_args == _COPY:
                source, chosen = src, aa.Plan(0.0, analysis.decoded_s, 0.0, None)
            partial = dest_dir / f".audio-partial.{ext}"
            args = [*_input(source), "-map_metadata", "-1"]
            if codec_args != _COPY:
                args += ["-af", aa.filters(analysis, chosen)]
            log = self._run([[*args, *codec_args, "-f", muxer, "-y", str(partial)]], cancel, src)
            duration = aa.last_time(log[0])
            if duration is None:
                raise PermanentError(f"{src.name}: ffmpeg wrote no audio")
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
            link.unlink(missing_ok=True)
        return _result(final, duration, analysis, chosen)

    def _probe(self, src: Path, cancel: threading.Event | None) -> aa.StreamFacts:
        # Without an output ffmpeg prints the banner and exits 1; the banner is what we want.
        log = self._run([_open(src)], cancel, src, check=False)[0]
        facts = aa.parse_banner(log)
        if facts is None:
            raise _error_from(log, src)
        return facts

    def _analyse_into(
        self,
        src: Path,
        facts: aa.StreamFacts,
        settings: AudioConfig,
        scratch: Path,
        cancel: threading.Event | None,
    ) -> aa.Analysis:
        """One decode that measures and also keeps the PCM for the encode pass."""
        out = ["-c:a", "pcm_s24le", "-rf64", "auto", "-f", "wav", "-y", str(scratch)]
        log = self._run([[*_input(src), "-af", _measure(settings), *out]], cancel, src)[0]
        decoded = aa.last_time(log)
        return self._analysis(src, facts, [log], decoded, offset=0.0)

    def _analyse_halves(
        self,
        src: Path,
        facts: aa.StreamFacts,
        settings: AudioConfig,
        link: Path,
        cancel: threading.Event | None,
    ) -> aa.Analysis:
        """Measure both halves of ``src`` at once, each decoded inside its filter graph."""
        # amovie takes a file name inside a filter graph, where ':,;[]\' would need escaping;
        # a fixed-name link in the working directory needs none.
        link.unlink(missing_ok=True)
        link.symlink_to(src.resolve())
        source = f"amovie={link.name}:f={facts.demuxer}"
        measure = f"{_measure(settings)},asetnsamples=n=65536:p=0"
        declared = facts.declared_s or 0.0
        if declared < _SPLIT_FROM_S:
            graphs = [f"{source},{measure}"]
        else:
            split = facts.start_s + declared / 2
            graphs = [f"{source},atrim=end={split:.6f},{measure}",
                      f"{source}:sp={split:.6f},atrim=start={split:.6f},{measure}"]  # fmt: skip
        cmds = [["-f", "lavfi", "-i", graph, "-f", "null", "-"] for graph in graphs]
        logs = self._run(cmds, cancel, src, cwd=link.parent)
        times = [aa.last_time(log) for log in logs]
        decoded = None if None in times else sum(t for t in times if t is not None)
        return self._analysis(src, facts, logs, decoded, offset=facts.start_s)

    @staticmethod
    def _analysis(
        src: Path, facts: aa.StreamFacts, logs: list[str], decoded: float | None, offset: float
    ) -> aa.Analysis:
        blocks = [b for log in logs for b in aa.momentary_blocks(log)]
        if not decoded or not any("Summary:" in log for log in logs):
            raise PermanentError(f"{src.name}: ffmpeg decoded no audio from it")
        if facts.declared_s and decoded < facts.declared_s * 0.9 - 1.0:
            raise PermanentError(f"{src.name} is truncated: only {decoded:.1f} s of its "
                                 f"{facts.declared_s:.1f} s decode; download it again")  # fmt: skip
        found = [s for log in logs for s in aa.silences(log, offset, decoded)]
        return aa.Analysis(
            facts=facts,
            decoded_s=decoded,
            loudness_lufs=aa.integrated_loudness(blocks),
            peak_db=max(aa.peak_db(log) for log in logs),
            silences=tuple(aa.merge(found)),
        )

    def _run(
        self,
        cmds: list[list[str]],
        cancel: threading.Event | None,
        src: Path,
        *,
        cwd: Path | None = None,
        check: bool = True,
    ) -> list[str]:
        """Run ffmpeg commands side by side; kill them all as soon as ``cancel`` is set.

        Logs go to unnamed temporary files, not pipes: a chatty process (ebur128's frame log)
        must never stall on a full pipe while we wait on another one.
        """
        procs: list[subprocess.Popen[bytes]] = []
        finished = threading.Event()

        def wait_all() -> None:
            for proc in procs:
                proc.wait()
            finished.set()

        with contextlib.ExitStack() as stack:
            logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in cmds]
            texts = self._supervise(cmds, logs, procs, wait_all, finished, cancel, cwd, src)
        if check:
            for proc, text in zip(procs, texts, strict=True):
                if proc.returncode != 0:
                    raise _error_from(text, src)
        return texts

    def _supervise(
        self,
        cmds: list[list[str]],
        logs: Sequence[IO[bytes]],
        procs: list[subprocess.Popen[bytes]],
        wait_all: Callable[[], None],
        finished: threading.Event,
        cancel: threading.Event | None,
        cwd: Path | None,
        src: Path,
    ) -> list[str]:
        try:
            for cmd, log in zip(cmds, logs, strict=True):
                full = [str(self.ffmpeg), "-hide_banner", "-nostdin", "-nostats", *cmd]
                procs.append(subprocess.Popen(full, stdin=subprocess.DEVNULL, cwd=cwd,
                                              stdout=subprocess.DEVNULL, stderr=log))  # fmt: skip
            # A blocking wait() in a thread wakes us the moment the last process exits.
            threading.Thread(target=wait_all, daemon=True).start()
            while not finished.wait(_POLL_S):
                if cancel is not None and cancel.is_set():
                    raise CancelledError(f"processing {src.name} was cancelled")
            texts = []
            for log in logs:
                log.seek(0)
                texts.append(log.read().decode("utf-8", "replace"))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        return texts


def _measure(settings: AudioConfig) -> str:
    peak = "true" if settings.normalize == "peak" else "sample"
    return (f"aformat=channel_layouts=mono|stereo,"
            f"silencedetect=n={settings.silence_threshold_db}dB:d={aa.MIN_SILENCE_S},"
            f"ebur128=peak={peak}:framelog=info")  # fmt: skip


def _open(path: Path) -> list[str]:
    # "file:" stops a name like "http:x" or "-x" from being read as a URL or an option.
    return ["-format_whitelist", _DEMUXERS, "-i", f"file:{path}"]


def _input(path: Path) -> list[str]:
    return [*_open(path), "-map", "0:a:0", "-vn", "-sn", "-dn"]


def _output(
    analysis: aa.Analysis, settings: AudioConfig, chosen: aa.Plan
) -> tuple[str, str, list[str]]:
    """The muxer, extension and codec arguments of the output."""
    codec = analysis.facts.codec
    if settings.format == "original":
        muxer, ext = _CONTAINERS.get(codec, ("matroska", "mka"))
        return muxer, ext, _COPY
    encoder, muxer, ext = _ENCODERS[settings.format]
    untouched = (chosen.gain_db == 0.0 and chosen.limit_db is None
                 and chosen.start_s == 0.0 and chosen.end_s >= analysis.decoded_s)  # fmt: skip
    if untouched and codec == _FORMAT_CODEC[settings.format]:
        return muxer, ext, _COPY
    if encoder == "flac":
        return muxer, ext, ["-c:a", "flac"]
    bitrate = settings.bitrate.lower()
    if bitrate == "v0":
        if encoder == "libmp3lame":
            return muxer, ext, ["-c:a", encoder, "-q:a", "0"]
        bitrate = _VBR_FALLBACK[settings.format]
    return muxer, ext, ["-c:a", encoder, "-b:a", bitrate]


def _result(path: Path, duration: float, analysis: aa.Analysis, chosen: aa.Plan) -> Processed:
    gain = chosen.gain_db
    loudness = None if analysis.loudness_lufs is None else analysis.loudness_lufs + gain
    peak = analysis.peak_db + gain
    if chosen.limit_db is not None:
        peak = min(peak, chosen.limit_db)
    return Processed(
        path=path,
        duration_s=duration,
        loudness_lufs=loudness,
        gain_db=gain,
        true_peak_db=peak if math.isfinite(peak) else None,
        trimmed_s=max(0.0, analysis.decoded_s - (chosen.end_s - chosen.start_s)),
    )


def _check_readable(src: Path) -> None:
    try:
        size = src.stat().st_size
    except OSError as exc:
        raise PermanentError(f"cannot read downloaded file {src}: {exc.strerror}") from exc
    if size == 0:
        raise PermanentError(f"{src.name} is empty (0 bytes); the download produced no audio")


def _is_lossless(src: Path) -> bool:
    with src.open("rb") as fh:
        return fh.read(4) in _LOSSLESS_MAGIC


def _error_from(log: str, src: Path) -> Exception:
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    last = lines[-1] if lines else "no output"
    for marker in _DISK_ERRORS:
        if marker in log:
            return DiskError(f"writing processed audio for {src.name} failed: {marker}; "
                             "free space or fix the staging dir; it will retry")  # fmt: skip
    if any(marker in log for marker in _NO_AUDIO) or ("Input #0" in log and "Audio:" not in log):
        return PermanentError(f"{src.name} has no audio stream")
    if "Invalid data found" in log or "moov atom not found" in log:
        return PermanentError(f"{src.name} is not a playable audio/video file ({last})")
    return PermanentError(f"ffmpeg could not process {src.name}: {last}")


def _disk_error(exc: OSError, what: str) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
        return DiskError(f"{what}: {exc.strerror}; free space or fix the staging directory")
    return exc
