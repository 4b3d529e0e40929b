"""Trim, normalise and encode downloaded audio by streaming it through ffmpeg.

Why not pydub: ``AudioSegment`` holds the whole decoded file in memory (a 60-minute stereo
file is ~635 MB of PCM) and re-decodes through ffmpeg anyway. Here the audio stays inside
ffmpeg, which streams, so memory stays flat (tens of MB) whatever the length. pydub would add
only that cost, so it is not used.

Design, measured with the bundled ffmpeg 9 (``python -m bench.processing``). The encoder is
single-threaded and is the cost; loudness must be known before it starts. So:

1. **Probe** - ``ffmpeg -i`` alone (~10 ms): codec, rate, duration, demuxer. The bundle has no
   ffprobe; the banner has what we need, and garbage fails here with a clear message.
2. **Estimate** (~5-7% of a bare encode's CPU) - one process decodes both ends whole to find
   the silence to trim (the tail to the real end of the file, which it logs) and measures the
   loudness of sixteen 1 s windows spread over the file; when they disagree, another process
   measures fifteen more between them, and a long file more again (``audio_analysis``).
3. **Encode from the estimate and measure the kept audio in the same process**: the audio is
   decoded inside the filter graph (``amovie``: ~8 % less CPU than ``-i``, whose decoder runs
   in a thread of its own and hands every frame over), trimmed, gained, measured by
   ``ebur128`` in line and encoded. One decode, one output: a second output (to the null
   muxer) or a second process cost 15-30% of a bare encode when every core is busy
   (``python -m bench.processing``); the trims need no second look, the estimate decoded the
   ends whole.
4. If the exact figures agree with the estimate (gain within 0.5 dB, no limiter needed) the
   encode is kept; otherwise it is killed and redone with the exact figures. Every file under
   30 s, of unknown length, with a silent end window, or whose estimate already needs the
   limiter is analysed first instead (its two halves at once, gated as one file from
   ebur128's 100 ms blocks) and encoded once.

5. **The fingerprint** (``fingerprint=True``, identity on) comes from the same encode: see
   ``audio_work.py``.

A process that measures everything itself reads ebur128's summary (``framelog=verbose``): the
per-100 ms lines cost ~2 % of an encode to print and parse.

The encode applies ``atrim`` + ``volume`` (+ an oversampled ``alimiter`` only when the gain would
push peaks past the ceiling; the loudness it takes away is measured and given back), or is a
stream copy when nothing would change. True peak is expensive (4x oversampling), so loudness
mode works from the sample peak with 1 dB of margin; peak mode measures true peak.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from spotsyncd.core.config import AudioConfig
from spotsyncd.core.errors import PermanentError
from spotsyncd.core.models import Processed
from spotsyncd.media import audio_analysis as aa
from spotsyncd.media import audio_output as ao
from spotsyncd.media.audio_errors import check_readable, checked, disk_error, error_from
from spotsyncd.media.audio_work import Work, muxes_prints
from spotsyncd.media.ffmpeg_jobs import FfmpegJob, FfmpegJobs

log = logging.getLogger(__name__)
_MAKE_UP_PASSES = 3
_MAKE_UP_TOLERANCE_LU = 0.3
_SPLIT_FROM_S = 20.0  # shorter files are analysed by one process: a second costs more than it saves
# Demuxers we let ffmpeg use on downloaded files: no playlists (hls, concat) that could make
# ffmpeg open other local files named inside an untrusted download.
_DEMUXERS = ("mp3,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,ogg,flac,wav,w64,aiff,aac,caf,avi,flv,"
             "asf,mpegts,mpeg,wv,ape,amr,au,mpc,mpc8,tta,dts,ac3,eac3,truehd")  # fmt: skip


class FfmpegAudioProcessor:
    """The ``AudioProcessor`` that drives one ffmpeg binary (see ``tools.find_ffmpeg``)."""

    def __init__(self, ffmpeg: Path) -> None:
        self.ffmpeg = ffmpeg
        # Sampling windows of an mp3 seek by its table of contents (``aa.by_toc``) unless this
        # ffmpeg's amovie has no ``format_opts`` (older than the bundled one): then exactly.
        self._toc = True

    def process(
        self,
        src: Path,
        dest_dir: Path,
        settings: AudioConfig,
        *,
        cancel: threading.Event | None = None,
        fingerprint: bool = False,
    ) -> Processed:
        if settings.format not in (*ao.ENCODERS, "original"):
            raise PermanentError(f"audio.format {settings.format!r} is not one of "
                                 "mp3, m4a, opus, flac, original")  # fmt: skip
        check_readable(src)
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise disk_error(exc, f"cannot create {dest_dir}") from exc
        work = Work(src, dest_dir, settings, fingerprint=fingerprint and muxes_prints(self.ffmpeg))
        try:
            with FfmpegJobs(self.ffmpeg, cancel, src.name) as jobs:
                analysis, chosen, duration, ext = self._process(jobs, work)
            final = dest_dir / f"audio.{ext}"
            try:
                os.replace(work.partial(ext), final)
            except OSError as exc:
                raise disk_error(exc, f"cannot write {final}") from exc
        finally:
            work.clean()
        done = ao.processed(final, duration, analysis, chosen, work.timings)
        return dataclasses.replace(done, fingerprint=work.fingerprint)

    def _process(self, jobs: FfmpegJobs, work: Work) -> tuple[aa.Analysis, aa.Plan, float, str]:
        src, settings = work.src, work.settings
        with work.timed("probe"):
            facts = self._probe(jobs, src)
        guess = None
        if settings.normalize == "loudness" and settings.format != "original":
            with work.timed("analysis"):
                guess = self._estimate(jobs, work, facts)
        if guess is None:
            analysis = self._analyse(jobs, work, facts, halves=True)
            return self._encode(jobs, work, analysis, aa.plan(analysis, settings), src)
        # Encode with the estimate and measure the kept audio exactly as it is encoded;
        # keep the encode if the two agree, else redo it with the exact figures.
        guessed = aa.plan(guess, settings)
        output = ao.output_for(guess, settings, guessed)
        # Nothing to change: no encode to measure alongside. Or the estimate's peaks already
        # need the limiter (the whole file's can only be higher): an encode from the estimate
        # would never be kept, so measure first and encode once.
        if output[2] == ao.COPY or guessed.limit_db is not None:
            if guessed.limit_db is not None:
                log.debug("%s: the estimate needs the limiter; measuring before encoding",
                          src.name)  # fmt: skip
            analysis = self._analyse(jobs, work, facts, halves=True)
            return self._encode(jobs, work, analysis, aa.plan(analysis, settings), src)
        ext = output[1]
        with work.timed("encode"):
            measuring = self._encode_measuring(jobs, work, guess, guessed, output)
        if measuring is None:
            work.partial(ext).unlink(missing_ok=True)
            analysis = self._analyse(jobs, work, facts, halves=True)
            return self._encode(jobs, work, analysis, aa.plan(analysis, settings), src)
        duration, exact = measuring
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
            raise error_from(log, src)
        return facts

    def _estimate(self, jobs: FfmpegJobs, work: Work, facts: aa.StreamFacts) -> aa.Analysis | None:
        source = work.amovie(facts)
        first = self._sample(jobs, work, functools.partial(
            aa.estimate_graph, source, facts, work.settings))  # fmt: skip
        if first is None:
            return None
        guess = aa.guess_analysis(first, facts)
        if guess is None:
            return None
        logs = [first]
        for pass_index in range(1, aa.sample_passes(facts)):
            error = aa.sampling_error_db(*logs)
            if error is None or error <= aa.SAMPLING_ERROR_DB:
                break
            # Loudness varies along the file: a guess this unsure would often miss and its
            # encode be thrown away; more windows cost far less than that.
            more = self._sample(jobs, work, functools.partial(
                aa.more_samples_graph, source, facts, pass_index))  # fmt: skip
            log.debug("%s: the guess was ±%.2f dB; %s", work.src.name, error,
                      "sampled more" if more is not None else "more samples failed")  # fmt: skip
            if more is None:
                break
            logs.append(more)
        return aa.with_more_samples(guess, *logs) if len(logs) > 1 else guess

    def _sample(
        self, jobs: FfmpegJobs, work: Work, graph_for: Callable[..., str | None]
    ) -> str | None:
        """The log of a sampling graph (output ``[out]``); None if there is none for this file
        or it failed. An ffmpeg whose amovie has no ``format_opts`` (older than the bundled
        one) fails the table-of-contents seeks (``aa.by_toc``): from then on this processor
        seeks exactly."""
        graph = graph_for(toc=self._toc)
        if graph is None:
            return None
        code, log_text = self._run_graph(jobs, work, graph)
        if code != 0 and self._toc and "format_opts" in log_text:
            self._toc = False
            log.info("this ffmpeg's amovie has no format_opts: mp3 files are sampled with "
                     "exact seeks (slower for long ones)")  # fmt: skip
            code, log_text = self._run_graph(jobs, work, graph_for(toc=False) or graph)
        return log_text if code == 0 else None

    def _run_graph(self, jobs: FfmpegJobs, work: Work, graph: str) -> tuple[int, str]:
        args = ["-filter_complex", graph, "-map", "[out]", "-f", "null", "-"]
        [(code, log_text)] = jobs.wait(jobs.start(args, cwd=work.dest_dir))
        return code, log_text

    def _analyse(
        self,
        jobs: FfmpegJobs,
        work: Work,
        facts: aa.StreamFacts,
        *,
        halves: bool,
    ) -> aa.Analysis:
        """Measure ``src`` decoded inside the filter graph, its two halves at once if asked."""
        with work.timed("analysis"):
            return self._analyse_timed(jobs, work, facts, halves=halves)

    def _analyse_timed(
        self, jobs: FfmpegJobs, work: Work, facts: aa.StreamFacts, *, halves: bool
    ) -> aa.Analysis:
        source = work.amovie(facts)
        measure = f"{_measure(work.settings)},{aa.BIG_FRAMES}"
        declared = facts.declared_s or 0.0
        if not halves or declared < _SPLIT_FROM_S:
            graphs = [f"{source},{measure}"]
        else:
            split = facts.start_s + declared / 2
            graphs = [f"{source},atrim=end={split:.6f},{measure}",
                      f"{aa.seek_to(source, split)},atrim=start={split:.6f},{measure}"]  # fmt: skip
        started = [jobs.start(_lavfi(g), cwd=work.dest_dir) for g in graphs]
        logs = checked(jobs.wait(*started), work.src)
        times = [aa.last_time(log) for log in logs]
        # A half with no time= decoded nothing (past the end of a truncated file): count 0.
        decoded = None if set(times) == {None} else sum(t or 0.0 for t in times)
        return _analysis(work.src, facts, logs, decoded, offset=facts.start_s)

    def _encode(
        self, jobs: FfmpegJobs, work: Work, analysis: aa.Analysis, chosen: aa.Plan, source: Path
    ) -> tuple[aa.Analysis, aa.Plan, float, str]:
        output = ao.output_for(analysis, work.settings, chosen)
        if output[2] == ao.COPY:
            source, chosen = work.src, aa.Plan(0.0, analysis.decoded_s, 0.0, None)
        elif chosen.limit_db is not None:
            with work.timed("analysis"):
                chosen = self._make_up_for_limiting(jobs, work, analysis, chosen)
        with work.timed("encode"):
            job = self._start_encode(jobs, work, analysis, chosen, source, output)
            duration = self._finish(jobs, job, work.src)
            work.read_print(analysis.facts)
        return analysis, chosen, duration, output[1]

    def _make_up_for_limiting(
        self, jobs: FfmpegJobs, work: Work, analysis: aa.Analysis, chosen: aa.Plan
    ) -> aa.Plan:
        """A limiter takes loudness away with the peaks: measure what is left, add it back.
        More gain makes the limiter take more, so with dense peaks once is not enough: up to
        ``_MAKE_UP_PASSES`` measurements, until what is left is within 0.3 LU."""
        target = work.settings.target_lufs
        for _ in range(_MAKE_UP_PASSES):
            graph = f"{work.encoded(analysis, chosen)},ebur128=framelog=verbose,{aa.BIG_FRAMES}"
            [log] = checked(jobs.wait(jobs.start(_lavfi(graph), cwd=work.dest_dir)), work.src)
            after = aa.summary_loudness(log)
            if after is None:
                return chosen
            if abs(target - after) <= _MAKE_UP_TOLERANCE_LU:
                return dataclasses.replace(chosen, loudness_lufs=after)
            # The limiter keeps the peaks at the ceiling, so the extra gain lands on the body.
            chosen = dataclasses.replace(chosen, gain_db=round(chosen.gain_db + target - after, 2),
                                         loudness_lufs=target)  # fmt: skip
        return chosen

    def _start_encode(
        self,
        jobs: FfmpegJobs,
        work: Work,
        analysis: aa.Analysis,
        chosen: aa.Plan,
        source: Path,
        output: tuple[str, str, list[str]],
    ) -> FfmpegJob:
        muxer, ext, codec_args = output
        print_args: list[str] = []
        if codec_args == ao.COPY:
            args = [*_input(source), "-map_metadata", "-1"]
        else:
            decoded, print_args = work.printed(work.decoded(analysis.facts), analysis.facts)
            graph = f"{decoded},{aa.filters(analysis, chosen)}[out]"
            args = ["-filter_complex", graph, "-map", "[out]"]
        target = str(work.partial(ext).absolute())
        return jobs.start([*args, *codec_args, "-f", muxer, "-y", target, *print_args],
                          cwd=work.dest_dir)  # fmt: skip

    def _encode_measuring(
        self,
        jobs: FfmpegJobs,
        work: Work,
        guess: aa.Analysis,
        guessed: aa.Plan,
        output: tuple[str, str, list[str]],
    ) -> tuple[float, aa.Analysis] | None:
        """Encode from the estimate and measure exactly what is kept in the same process (see
        ``audio_analysis.measuring_graph``): one decode, one output. The ends were decoded
        whole by the estimate, so its trims are exact; measured here are the loudness and peak
        of the kept audio. None: the encode came out short of what the estimate promised (a
        damaged file?), so the full analysis must decide."""
        muxer, ext, codec_args = output
        source, print_args = work.printed(work.decoded(guess.facts), guess.facts)
        graph = aa.measuring_graph(source, guess, guessed, _measure_loudness(work.settings))
        args = ["-filter_complex", graph, "-map", "[out]", *codec_args,
                "-f", muxer, "-y", str(work.partial(ext).absolute()), *print_args]  # fmt: skip
        [log_text] = checked(jobs.wait(jobs.start(args, cwd=work.dest_dir)), work.src)
        work.read_print(guess.facts)
        duration = aa.last_time(log_text)
        kept = guessed.end_s - guessed.start_s
        if duration is None or duration < kept - 0.5 or "Summary:" not in log_text:
            return None
        # Measured after the gain: what the file will hold. Before it, the kept audio was that
        # much quieter. BS.1770's relative gate moves with the gain; the absolute one (-70 LUFS)
        # does not, but the only blocks it then lets in lie ~50 LU under the music, and the
        # relative gate drops those.
        loudness = aa.summary_loudness(log_text)
        exact = dataclasses.replace(
            guess,
            loudness_lufs=None if loudness is None else loudness - guessed.gain_db,
            peak_db=aa.peak_db(log_text) - guessed.gain_db,
        )
        return duration, exact

    def _finish(self, jobs: FfmpegJobs, job: FfmpegJob, src: Path) -> float:
        [log] = checked(jobs.wait(job), src)
        duration = aa.last_time(log)
        if duration is None:
            raise PermanentError(f"{src.name}: ffmpeg wrote no audio")
        return duration


def _lavfi(graph: str) -> list[str]:
    return ["-f", "lavfi", "-i", graph, "-f", "null", "-"]


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


def _measure_loudness(settings: AudioConfig) -> str:
    """ebur128 for one process that measures all the audio: its summary is the answer."""
    peak = "true" if settings.normalize == "peak" else "sample"
    return f"ebur128=peak={peak}:framelog=verbose"


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
