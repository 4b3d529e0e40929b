"""Trim, normalise and encode downloaded audio by streaming it through ffmpeg.

Why not pydub: ``AudioSegment`` holds the whole decoded file in memory (a 60-minute stereo
file is ~635 MB of PCM) and re-decodes through ffmpeg anyway. Here the audio stays inside
ffmpeg, which streams, so memory stays flat (tens of MB) whatever the length. pydub would add
only that cost, so it is not used.

Design, measured with the bundled ffmpeg 9 (``python -m bench.processing``). The encoder is
single-threaded and is the cost; loudness must be known before it starts. So:

1. **Probe** - ``ffmpeg -i`` alone (~10 ms): codec, rate, duration, demuxer. The bundle has no
   ffprobe; the banner has what we need, and garbage fails here with a clear message.
2. **Estimate** (~0.1 s) - decode both ends whole (that is where silence is trimmed) and ten
   2 s samples of the middle, in two processes, and measure them (``audio_analysis``).
3. **Encode from the estimate and measure exactly in the same process**: the decoded audio is
   split (``asplit``); one branch is trimmed, gained and encoded, the other runs ``ebur128`` +
   ``silencedetect`` to a null output. One decode instead of two: measuring in a second process
   cost a whole extra decode per file, which is only free while a core is idle (it made the
   daemon 1.9x slower than bare encodes with one worker per core).
4. If the exact figures agree with the estimate (same trims, gain within 0.5 dB, no limiter
   needed) the encode is kept; otherwise it is killed and redone with the exact figures, as is
   every file under 30 s, of unknown length, or with a silent end window (where the analysis
   runs first, its two halves at once, gated as one file from ebur128's 100 ms blocks).

The encode applies ``atrim`` + ``volume`` (+ an oversampled ``alimiter`` only when the gain would
push peaks past the ceiling; the loudness it takes away is measured and given back), or is a
stream copy when nothing would change. True peak is expensive (4x oversampling), so loudness
mode works from the sample peak with 1 dB of margin; peak mode measures true peak.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import math
import os
import threading
from pathlib import Path

from spotsyncd.core.config import AudioConfig
from spotsyncd.core.errors import DiskError, PermanentError
from spotsyncd.core.models import Processed
from spotsyncd.media import audio_analysis as aa
from spotsyncd.media.ffmpeg_jobs import FfmpegJob, FfmpegJobs

log = logging.getLogger(__name__)
_SPLIT_FROM_S = 20.0  # shorter files are analysed by one process: a second costs more than it saves

# Demuxers we let ffmpeg use on downloaded files: no playlists (hls, concat) that could make
# ffmpeg open other local files named inside an untrusted download.
_DEMUXERS = ("mp3,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,ogg,flac,wav,w64,aiff,aac,caf,avi,flv,"
             "asf,mpegts,mpeg,wv,ape,amr,au,mpc,mpc8,tta,dts,ac3,eac3,truehd")  # fmt: skip

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
        work = _Work(src, dest_dir, settings)
        try:
            with FfmpegJobs(self.ffmpeg, cancel, src.name) as jobs:
                analysis, chosen, duration, ext = self._process(jobs, work)
            final = dest_dir / f"audio.{ext}"
            try:
                os.replace(work.partial(ext), final)
            except OSError as exc:
                raise _disk_error(exc, f"cannot write {final}") from exc
        finally:
            work.clean()
        return _result(final, duration, analysis, chosen)

    def _process(self, jobs: FfmpegJobs, work: _Work) -> tuple[aa.Analysis, aa.Plan, float, str]:
        src, settings = work.src, work.settings
        facts = self._probe(jobs, src)
        guess = None
        if settings.normalize == "loudness" and settings.format != "original":
            guess = self._estimate(jobs, work, facts)
        if guess is None:
            analysis = self._analyse(jobs, work, facts, halves=True)
            return self._encode(jobs, work, analysis, aa.plan(analysis, settings), src)
        # Encode with the estimate while the exact analysis runs beside it at low priority;
        # keep the encode if the two agree, else redo it with the exact figures.
        guessed = aa.plan(guess, settings)
        output = _output(guess, settings, guessed)
        if output[2] == _COPY:  # nothing to change: no encode to measure alongside
            analysis = self._analyse(jobs, work, facts, halves=True)
            return self._encode(jobs, work, analysis, aa.plan(analysis, settings), src)
        ext = output[1]
        duration, exact = self._encode_measuring(jobs, work, facts, guess, guessed, output)
        measured = aa.plan(exact, settings)
        kept = aa.settled(guess, guessed, exact, measured)
        if kept is not None:
            log.debug("%s: kept the encode started from the estimate", src.name)
            return exact, kept, duration, ext
        log.debug("%s: estimate (gain %.2f dB) differs from the measurement (%.2f dB); "
                  "encoding again", src.name, guessed.gain_db, measured.gain_db)  # fmt: skip
        work.partial(ext).unlink(missing_ok=True)
        return self._encode(jobs, work, exact, measured, src)

    def _probe(self, jobs: FfmpegJobs, src: Path) -> aa.StreamFacts:
        # Without an output ffmpeg prints the banner and exits 1; the banner is what we want.
        [(_, log)] = jobs.wait(jobs.start(_open(src)))
        facts = aa.parse_banner(log)
        if facts is None:
            raise _error_from(log, src)
        return facts

    def _estimate(self, jobs: FfmpegJobs, work: _Work, facts: aa.StreamFacts) -> aa.Analysis | None:
        graphs = aa.estimate_graphs(work.amovie(facts), facts, work.settings)
        if graphs is None:
            return None
        results = jobs.wait(*[jobs.start(_lavfi(g), cwd=work.dest_dir) for g in graphs])
        if any(code != 0 for code, _ in results):
            return None
        return aa.guess_analysis([log for _, log in results], facts)

    def _analyse(
        self,
        jobs: FfmpegJobs,
        work: _Work,
        facts: aa.StreamFacts,
        *,
        halves: bool,
    ) -> aa.Analysis:
        """Measure ``src`` decoded inside the filter graph, its two halves at once if asked."""
        source = work.amovie(facts)
        measure = f"{_measure(work.settings)},asetnsamples=n=65536:p=0"
        declared = facts.declared_s or 0.0
        if not halves or declared < _SPLIT_FROM_S:
            graphs = [f"{source},{measure}"]
        else:
            split = facts.start_s + declared / 2
            graphs = [f"{source},atrim=end={split:.6f},{measure}",
                      f"{source}:sp={split:.6f},atrim=start={split:.6f},{measure}"]  # fmt: skip
        started = [jobs.start(_lavfi(g), cwd=work.dest_dir) for g in graphs]
        logs = _checked(jobs.wait(*started), work.src)
        times = [aa.last_time(log) for log in logs]
        # A half with no time= decoded nothing (past the end of a truncated file): count 0.
        decoded = None if set(times) == {None} else sum(t or 0.0 for t in times)
        return _analysis(work.src, facts, logs, decoded, offset=facts.start_s)

    def _encode(
        self, jobs: FfmpegJobs, work: _Work, analysis: aa.Analysis, chosen: aa.Plan, source: Path
    ) -> tuple[aa.Analysis, aa.Plan, float, str]:
        output = _output(analysis, work.settings, chosen)
        if output[2] == _COPY:
            source, chosen = work.src, aa.Plan(0.0, analysis.decoded_s, 0.0, None)
        elif chosen.limit_db is not None:
            chosen = self._make_up_for_limiting(jobs, work, analysis, chosen, source)
        job = self._start_encode(jobs, work, analysis, chosen, source, output)
        return analysis, chosen, self._finish(jobs, job, work.src), output[1]

    def _make_up_for_limiting(
        self, jobs: FfmpegJobs, work: _Work, analysis: aa.Analysis, chosen: aa.Plan, source: Path
    ) -> aa.Plan:
        """A limiter takes loudness away with the peaks: measure what is left, add it back."""
        chain = f"{aa.filters(analysis, chosen)},ebur128=framelog=info"
        args = [*_input(source), "-af", chain, "-f", "null", "-"]
        [log] = _checked(jobs.wait(jobs.start(args)), work.src)
        after = aa.integrated_loudness(aa.momentary_blocks(log))
        if after is None:
            return chosen
        shortfall = work.settings.target_lufs - after
        # The limiter keeps the peaks at the ceiling, so the extra gain lands on the body.
        return dataclasses.replace(chosen, gain_db=round(chosen.gain_db + shortfall, 2),
                                   loudness_lufs=work.settings.target_lufs)  # fmt: skip

    def _start_encode(
        self,
        jobs: FfmpegJobs,
        work: _Work,
        analysis: aa.Analysis,
        chosen: aa.Plan,
        source: Path,
        output: tuple[str, str, list[str]],
    ) -> FfmpegJob:
        muxer, ext, codec_args = output
        args = [*_input(source), "-map_metadata", "-1"]
        if codec_args != _COPY:
            args += ["-af", aa.filters(analysis, chosen)]
        return jobs.start([*args, *codec_args, "-f", muxer, "-y", str(work.partial(ext))])

    def _encode_measuring(
        self,
        jobs: FfmpegJobs,
        work: _Work,
        facts: aa.StreamFacts,
        guess: aa.Analysis,
        guessed: aa.Plan,
        output: tuple[str, str, list[str]],
    ) -> tuple[float, aa.Analysis]:
        """Encode from the estimate and measure the whole source exactly in the same process:
        the decoded audio is split, one branch trimmed, gained and encoded, the other run
        through silencedetect + ebur128. One decode instead of two; the measuring branch runs
        in ffmpeg's filter thread beside the encoder thread."""
        muxer, ext, codec_args = output
        # The measuring branch is an output of its own (to the null muxer) so that it sees the
        # whole file even when the encoded branch ends early at its trim point; f64 PCM is
        # what ebur128 already holds, so the null output converts nothing.
        graph = (f"[0:a:0]asplit=2[enc][mes];[enc]{aa.filters(guess, guessed)}[out];"
                 f"[mes]{_measure(work.settings)}[measured]")  # fmt: skip
        args = [*_open(work.src), "-vn", "-sn", "-dn", "-map_metadata", "-1",
                "-filter_complex", graph, "-map", "[out]", *codec_args,
                "-f", muxer, "-y", str(work.partial(ext)),
                "-map", "[measured]", "-c:a", "pcm_f64le", "-f", "null", "-"]  # fmt: skip
        [log_text] = _checked(jobs.wait(jobs.start(args)), work.src)
        # ffmpeg shifts an input's timestamps to start at 0, so no offset here.
        exact = _analysis(work.src, facts, [log_text], aa.last_measured_time(log_text), 0.0)
        duration = min(guessed.end_s, exact.decoded_s) - guessed.start_s
        if duration <= 0:
            raise PermanentError(f"{work.src.name}: ffmpeg wrote no audio")
        return duration, exact

    def _finish(self, jobs: FfmpegJobs, job: FfmpegJob, src: Path) -> float:
        [log] = _checked(jobs.wait(job), src)
        duration = aa.last_time(log)
        if duration is None:
            raise PermanentError(f"{src.name}: ffmpeg wrote no audio")
        return duration


class _Work:
    """The files of one ``process`` call in ``dest_dir``; ``clean`` leaves only the result."""

    def __init__(self, src: Path, dest_dir: Path, settings: AudioConfig) -> None:
        self.src, self.dest_dir, self.settings = src, dest_dir, settings
        self.link = dest_dir / ".audio-source"
        self.partials: set[Path] = set()

    def partial(self, ext: str) -> Path:
        path = self.dest_dir / f".audio-partial.{ext}"
        self.partials.add(path)
        return path

    def amovie(self, facts: aa.StreamFacts) -> str:
        """``amovie`` reading ``src``: a file name inside a filter graph would need ':,;[]\\'
        escaped; a fixed-name link in the working directory needs none."""
        if not self.link.is_symlink():
            self.link.symlink_to(self.src.resolve())
        return f"amovie={self.link.name}:f={facts.demuxer}"

    def clean(self) -> None:
        for path in (self.link, *self.partials):
            path.unlink(missing_ok=True)


def _lavfi(graph: str) -> list[str]:
    return ["-f", "lavfi", "-i", graph, "-f", "null", "-"]


def _checked(results: list[tuple[int, str]], src: Path) -> list[str]:
    for code, log in results:
        if code != 0:
            raise _error_from(log, src)
    return [log for _, log in results]


def _analysis(
    src: Path, facts: aa.StreamFacts, logs: list[str], decoded: float | None, offset: float
) -> aa.Analysis:
    if not decoded or not any("Summary:" in log for log in logs):
        raise PermanentError(f"{src.name}: ffmpeg decoded no audio from it")
    if facts.declared_s and decoded < facts.declared_s * 0.9 - 1.0:
        raise PermanentError(f"{src.name} is truncated: only {decoded:.1f} s of its "
                             f"{facts.declared_s:.1f} s decode; download it again")  # fmt: skip
    found = [s for log in logs for s in aa.silences(log, offset, decoded)]
    return aa.Analysis(
        facts=facts,
        decoded_s=decoded,
        loudness_lufs=aa.integrated_loudness(b for log in logs for b in aa.momentary_blocks(log)),
        peak_db=max(aa.peak_db(log) for log in logs),
        silences=tuple(aa.merge(found)),
    )


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
    if chosen.loudness_lufs is not None:
        loudness = chosen.loudness_lufs
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
