"""What ffmpeg told us about a file, and what to do about it: pure functions, no I/O.

``audio`` runs ffmpeg; this module reads its logs (the input banner, ``silencedetect`` and
``ebur128`` output) and turns settings + measurements into trim points, a gain, an optional
limiter and the filter chain. Integrated loudness is computed here from ebur128's per-100 ms
momentary values (the 400 ms gating blocks of ITU-R BS.1770), which lets the analysis run as
two processes over the two halves of a file and still give the loudness of the whole.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spotsyncd.core.config import AudioConfig

# Headroom between a sample-peak estimate and the true-peak ceiling: covers the inter-sample
# peaks of typical masters and the overshoot a lossy encoder adds.
TRUE_PEAK_MARGIN_DB = 1.0
# Lossy encoders overshoot even when the input's true peak is exact.
LOSSY_OVERSHOOT_DB = 0.3
MIN_SILENCE_S = 0.1
KEEP_AT_LEAST_S = 0.5  # never trim a file down to nothing: it is all silence, keep it whole
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0

_TIME = r"(\d+):(\d\d):(\d\d(?:\.\d+)?)"
_SUMMARY_LOUDNESS = re.compile(r"Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS")
_NUMBER = r"(-?[\d.]+|-?inf|nan)"
# One ebur128 ``framelog=info`` line: its time and momentary loudness.
_TIMED_BLOCK = re.compile(rf" t: ([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*{_NUMBER}")


@dataclass(frozen=True)
class StreamFacts:
    """The input banner of ``ffmpeg -i``: enough to plan without ffprobe."""

    demuxer: str  # first name of the demuxer, e.g. "mov" for "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str
    sample_rate: int
    declared_s: float | None  # from the container; an estimate for some formats
    start_s: float  # first timestamp; decoders inside filter graphs keep it


@dataclass(frozen=True)
class Analysis:
    facts: StreamFacts
    decoded_s: float
    loudness_lufs: float | None  # None: too quiet to measure (silence)
    peak_db: float  # sample peak, or true peak in peak mode
    silences: tuple[tuple[float, float], ...]  # seconds from the start of the audio


@dataclass(frozen=True)
class Plan:
    start_s: float
    end_s: float
    gain_db: float
    limit_db: float | None  # sample-peak ceiling of a limiter, when one is needed
    loudness_lufs: float | None = None  # measured after the limiter, when there is one


def _hms(hours: str, minutes: str, seconds: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def parse_banner(log: str) -> StreamFacts | None:
    """Facts about the first audio stream, or None when the banner shows none. Its start is
    its own first timestamp where the banner gives one (in a video, the audio may start later
    than the file), else the file's."""
    demuxer = re.search(r"Input #0, ([\w,]+), from", log)
    stream = re.search(r"Stream #0:\d+[^:\n]*: Audio: (\w+)[^,\n]*, (\d+) Hz.*", log)
    if demuxer is None or stream is None:
        return None
    duration = re.search(rf"Duration: {_TIME}", log)
    start = re.search(r", start (-?[\d.]+)", stream.group(0)) or re.search(
        r"start: (-?[\d.]+)", log
    )
    return StreamFacts(
        demuxer=demuxer.group(1).split(",")[0],
        codec=stream.group(1),
        sample_rate=int(stream.group(2)),
        declared_s=_hms(*duration.groups()) if duration else None,
        start_s=float(start.group(1)) if start else 0.0,
    )


def last_time(log: str) -> float | None:
    """The final ``time=`` of ffmpeg's progress: how much it wrote."""
    times = re.findall(rf"time={_TIME}", log)
    return _hms(*times[-1]) if times else None


def last_measured_time(log: str) -> float | None:
    """How much audio ebur128 measured: its last frame's time (to within its 100 ms step)."""
    times = re.findall(r" t: ([\d.]+)\s+TARGET:", log)
    return float(times[-1]) if times else None


def momentary_blocks(log: str) -> list[float]:
    """ebur128's momentary loudness (LUFS) every 100 ms, from ``framelog=info``."""
    return [float(v) for _, v in _TIMED_BLOCK.findall(log) if v != "nan"]


def integrated_loudness(blocks: Iterable[float]) -> float | None:
    """BS.1770 gated integrated loudness of momentary blocks; None below the absolute gate."""
    audible = [b for b in blocks if b > _ABSOLUTE_GATE_LUFS]
    if not audible:
        return None
    ungated = _mean_loudness(audible)
    gated = [b for b in audible if b > ungated + _RELATIVE_GATE_LU]
    return _mean_loudness(gated)


def _mean_loudness(blocks: list[float]) -> float:
    return 10 * math.log10(sum(10 ** (b / 10) for b in blocks) / len(blocks))


def summary_loudness(log: str) -> float | None:
    """The integrated loudness ebur128 prints in its summary (0.1 LU steps), for one process
    that measured everything itself: no per-100 ms lines to print and parse (``framelog=
    verbose`` keeps them out of the log, ~2 % of an encode's CPU). None below the gate."""
    found = _SUMMARY_LOUDNESS.findall(log)
    if not found:
        return None
    value = float(found[-1])
    return None if value <= _ABSOLUTE_GATE_LUFS + 0.05 else value


def peak_db(log: str) -> float:
    """The highest peak ebur128 reported (sample or true peak), -inf for silence."""
    peaks = [float(p) for p in re.findall(rf"Peak:\s+{_NUMBER} dBFS", log) if p != "nan"]
    return max(peaks, default=-math.inf)


def silences(log: str, offset: float, end: float) -> list[tuple[float, float]]:
    """silencedetect's intervals, shifted by ``-offset``; one still open runs to ``end``."""
    starts = [float(s) - offset for s in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [float(e) - offset for e in re.findall(r"silence_end: (-?[\d.]+)", log)]
    ends += [end] * (len(starts) - len(ends))
    return list(zip(starts, ends, strict=True))


def merge(intervals: Iterable[tuple[float, float]], gap: float = 0.05) -> list[tuple[float, float]]:
    """Join intervals that touch: a silence across the split of a two-part analysis."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def plan(analysis: Analysis, settings: AudioConfig) -> Plan:
    start, end = _trim_window(analysis, settings)
    gain, limit = _gain(analysis, settings)
    return Plan(start, end, gain, limit)


def _trim_window(analysis: Analysis, settings: AudioConfig) -> tuple[float, float]:
    start, end = 0.0, analysis.decoded_s
    if not settings.trim_silence or settings.format == "original":
        return start, end
    for silence_start, silence_end in analysis.silences:
        if silence_start <= 0.01:
            start = max(start, silence_end)
        if silence_end >= analysis.decoded_s - 0.05:
            end = min(end, max(silence_start, 0.0))
    if end - start < KEEP_AT_LEAST_S:
        return 0.0, analysis.decoded_s
    return start, end


def _gain(analysis: Analysis, settings: AudioConfig) -> tuple[float, float | None]:
    if settings.format == "original" or settings.normalize == "off":
        return 0.0, None
    if not math.isfinite(analysis.peak_db):
        return 0.0, None  # digital silence: nothing to scale
    lossy = settings.format in ("mp3", "m4a", "opus")
    if settings.normalize == "peak":  # analysis.peak_db is a true peak here
        target = settings.true_peak_db - (LOSSY_OVERSHOOT_DB if lossy else 0.0)
        return round(target - analysis.peak_db, 2), None
    if analysis.loudness_lufs is None:
        return 0.0, None
    gain = round(settings.target_lufs - analysis.loudness_lufs, 2)
    ceiling = settings.true_peak_db - TRUE_PEAK_MARGIN_DB
    return gain, (ceiling if analysis.peak_db + gain > ceiling else None)


def filters(analysis: Analysis, chosen: Plan) -> str:
    """The encode pass's filter chain for ``chosen``."""
    parts = ["aformat=channel_layouts=mono|stereo"]
    if chosen.start_s > 0 or chosen.end_s < analysis.decoded_s:
        parts.append(f"atrim=start={chosen.start_s:.6f}:end={chosen.end_s:.6f},"
                     "asetpts=PTS-STARTPTS")  # fmt: skip
    return ",".join(parts + _level(analysis, chosen))


def from_zero(source: str, facts: StreamFacts) -> str:
    """``source`` (an ``amovie``) with its timestamps counted from the audio's first
    (``facts.start_s``), as every plan's times are. Decoding inside the graph costs ~8 % less
    CPU than ``-i`` (no decoder thread and frame queue between them; the same samples:
    ``python -m bench.processing``)."""
    return f"{source},asetpts=PTS-{facts.start_s:.6f}/TB" if facts.start_s else source


def measuring_graph(source: str, analysis: Analysis, chosen: Plan, measure: str) -> str:
    """The encode pass for ``chosen`` as one chain from ``source`` (see ``from_zero``) to
    ``[out]`` that runs ``measure`` on exactly what is encoded: the kept audio after the gain
    (``chosen`` has no limiter here, so the gain is all that changed it and the caller takes
    it off the figures again). Measured in line, not on a branch of its own: a sink beside
    the output makes ffmpeg abort at the end of the file when the graph has no ``-i`` input
    (its filter scheduler asserts ``best_input >= 0``), and an output of its own costs an
    extra encoder, muxer and thread hand-offs per frame."""
    if chosen.limit_db is not None:
        raise ValueError("a limited encode cannot be measured in line: the limiter shapes it")
    return f"{source},{filters(analysis, chosen)},{measure}[out]"


def _level(analysis: Analysis, chosen: Plan) -> list[str]:
    parts = []
    if chosen.gain_db:
        parts.append(f"volume={chosen.gain_db:.2f}dB")
    if chosen.limit_db is not None:
        linear = 10 ** (chosen.limit_db / 20)
        rate = analysis.facts.sample_rate
        # Limiting at 4x the rate catches the inter-sample peaks a plain limiter lets through;
        # level=0: do not "auto level" back up to the limit; latency=1: keep timing unchanged.
        parts.append(f"aresample={rate * 4},"
                     f"alimiter=limit={linear:.5f}:attack=5:release=50:level=0:latency=1,"
                     f"aresample={rate}")  # fmt: skip
    return parts


# --- A quick estimate, to start encoding before the exact measurement ------------------------

SPECULATE_FROM_S = 30.0  # shorter files: the exact analysis is quick enough on its own
GUESS_TOLERANCE_DB = 0.5  # a guessed gain this close to the measured one is kept
_EDGE_S = 8.0  # the ends are decoded whole: that is where the silence to trim is
# Loudness is sampled by short windows spread evenly over the whole file: more, shorter windows
# guess better than fewer, longer ones for the same decoding (``python -m bench.estimate_model``).
SAMPLES = 16
SAMPLE_S = 1.0
# A guess whose windows disagree by more than this (standard error of their mean power) samples
# more windows, between the ones it has, before encoding from it: SAMPLES - 1, then twice as many
# each time, while all the windows together stay within MAX_SAMPLED_SHARE of the file (a long
# file's encode, which a wrong guess would waste, is long too) or the first two passes.
SAMPLING_ERROR_DB = 0.2
MAX_SAMPLED_SHARE = 0.05
_MAX_PASS_WINDOWS = 64  # each window opens the file once: one process keeps few open
PREROLL_S = 0.1  # decoded before a seek point and cut: see ``seek_to``
# Frames of 65536 samples out of a measuring graph: few for ffmpeg to hand on and log.
BIG_FRAMES = "asetnsamples=n=65536:p=0"
# The tail's frames, logged in large blocks: the last one says where the file really ends.
_EOF_PROBE = f"{BIG_FRAMES},ashowinfo"
_FRAME = re.compile(r"Parsed_ashowinfo_\d+ @ [^\]]*\] n:\d+ pts:-?\d+ pts_time:(-?[\d.]+) .*?"
                    r"rate:(\d+) nb_samples:(\d+)")  # fmt: skip


def seek_to(source: str, at: float) -> str:
    """``source`` (an ``amovie``) seeking a little before ``at``, for an ``atrim`` from ``at``
    to cut: a decoder started cold makes noise until it has warmed up (Opus: the first 50 ms
    after a seek peaked 6.6 dB over the real audio), which would count as the audio's peak."""
    return f"{source}:sp={max(0.0, at - PREROLL_S):.6f}"


def by_toc(source: str, facts: StreamFacts) -> str:
    """``source`` for the sampling windows: an mp3 seeks by its table of contents (``usetoc``),
    to within ~0.4 % of its length instead of exactly, which a loudness sample does not need.
    An exact mp3 seek reads the file from its start up to the point: ~3 ms a window in a
    3-min song, ~60 ms in an hour-long podcast, against ~1 ms. Never for the tail, whose
    timestamps must say where the file really ends."""
    return f"{source}:format_opts=usetoc=1" if facts.demuxer == "mp3" else source


def estimate_graph(
    source: str, facts: StreamFacts, settings: AudioConfig, *, toc: bool = True
) -> str | None:
    """One ``-filter_complex`` graph (output ``[out]``) that looks for silence in both ends,
    decoded whole, and measures ``SAMPLES`` windows of ``SAMPLE_S`` spread evenly over the
    file (~9% of a 3-min song); None when the file is too short or its length unknown.

    The ends are not measured: an intro or outro is often quieter than the song, and 16 s of
    it among ~36 s of samples made the guess miss by more than ``GUESS_TOLERANCE_DB`` (an
    encode thrown away) for most such songs. The tail is decoded to the real end of the file
    (``declared_s`` is an estimate for some formats) and its last frame logged: the exact
    analysis never needs to look at the ends again. Not measuring the tail also keeps its
    trailing digital silence out of ebur128, whose filters decay into denormal numbers there
    (~10x the CPU of sound). ``toc``: the windows of an mp3 seek by ``by_toc``."""
    declared = facts.declared_s
    if declared is None or declared < SPECULATE_FROM_S:
        return None
    shape = "aformat=channel_layouts=mono|stereo"
    detect = f"silencedetect=n={settings.silence_threshold_db}dB:d={MIN_SILENCE_S}"
    head_end = facts.start_s + _EDGE_S
    tail_start = facts.start_s + declared - _EDGE_S
    head = f"{source},atrim=end={head_end:.6f},{shape},{detect},anullsink"
    tail = (f"{seek_to(source, tail_start)},atrim=start={tail_start:.6f},{_EOF_PROBE},{shape},"
            f"{detect},anullsink")  # fmt: skip
    windows = by_toc(source, facts) if toc else source
    return ";".join([head, tail, _windows(windows, facts, sample_positions(0))])


def more_samples_graph(
    source: str, facts: StreamFacts, pass_index: int, *, toc: bool = True
) -> str:
    """The windows of sampling pass ``pass_index`` (1, 2...), between those sampled before."""
    windows = by_toc(source, facts) if toc else source
    return _windows(windows, facts, sample_positions(pass_index))


def sample_positions(pass_index: int) -> list[float]:
    """Window centres (in SAMPLES-ths of the file) pass ``pass_index`` adds: 0 is the first
    ``SAMPLES``; 1 puts one between each two of them; every later pass one between each two
    of all before it (twice as many as all the windows so far, roughly)."""
    if pass_index == 0:
        return [i + 0.5 for i in range(SAMPLES)]
    if pass_index == 1:
        return [i + 1.0 for i in range(SAMPLES - 1)]
    step = 0.5 ** (pass_index - 1)
    per_part = 2 ** (pass_index - 1)
    return [i + step / 2 + m * step for i in range(SAMPLES) for m in range(per_part)]


def sample_passes(facts: StreamFacts) -> int:
    """How many sampling passes ``facts``' file may take (see ``MAX_SAMPLED_SHARE``)."""
    allowed = max(2 * SAMPLES - 1, MAX_SAMPLED_SHARE * (facts.declared_s or 0.0) / SAMPLE_S)
    passes, windows = 1, SAMPLES
    while (len(sample_positions(passes)) <= _MAX_PASS_WINDOWS
           and windows + len(sample_positions(passes)) <= allowed):  # fmt: skip
        windows += len(sample_positions(passes))
        passes += 1
    return passes


def _windows(source: str, facts: StreamFacts, positions: list[float]) -> str:
    """Windows of ``SAMPLE_S`` centred at ``positions`` (in SAMPLES-ths of the file), joined
    and measured; the blocks are logged, so each window's loudness can be told apart."""
    declared = facts.declared_s or 0.0
    shape = "aformat=channel_layouts=mono|stereo"
    chains = []
    for index, position in enumerate(positions):
        at = facts.start_s + declared * position / SAMPLES - SAMPLE_S / 2
        window = f"atrim=start={at:.6f}:end={at + SAMPLE_S:.6f}"
        chains.append(f"{seek_to(source, at)},{window},{shape},asetpts=N/SR/TB[s{index}]")
    labels = "".join(f"[s{index}]" for index in range(len(positions)))
    measure = (f"{labels}concat=n={len(positions)}:v=0:a=1,ebur128=peak=sample:framelog=info,"
               f"{BIG_FRAMES}[out]")  # fmt: skip
    return ";".join([*chains, measure])


def sampling_error_db(*logs: str) -> float | None:
    """How sure a guess from ``SAMPLE_S`` windows is: the standard error of their mean power,
    in dB (from each window's blocks that lie wholly inside it), over the windows of every log
    (one per sampling pass). None when all is silent."""
    return standard_error_db([power for log in logs for power in _window_powers(log)])


def standard_error_db(powers: Sequence[float]) -> float | None:
    """The standard error of the mean of ``powers`` (linear), in dB; None for silence."""
    if len(powers) < 2 or sum(powers) <= 0:
        return None
    mean = sum(powers) / len(powers)
    spread = math.sqrt(sum((p - mean) ** 2 for p in powers) / (len(powers) - 1))
    return 10 * math.log10(1 + spread / math.sqrt(len(powers)) / mean)


def _window_powers(log: str) -> list[float]:
    """The mean power of each window a ``_windows`` graph measured, in order."""
    powers: dict[int, list[float]] = {}
    for at, value in _TIMED_BLOCK.findall(log):
        t = float(at)
        window = max(0, math.ceil(t / SAMPLE_S - 1e-6) - 1)
        if value != "nan" and t - window * SAMPLE_S >= 0.4 - 1e-6:
            level = float(value)  # silence (under the absolute gate) has no power to count
            powers.setdefault(window, []).append(
                10 ** (level / 10) if level > _ABSOLUTE_GATE_LUFS else 0.0
            )
    return [sum(p) / len(p) for p in powers.values()]


def end_of_audio(log: str) -> float | None:
    """Where the decoded audio ends (a timestamp), from the tail's last logged frame."""
    frames = _FRAME.findall(log)
    if not frames:
        return None
    pts_time, rate, samples = frames[-1]
    return float(pts_time) + int(samples) / int(rate)


def guess_analysis(log: str, facts: StreamFacts) -> Analysis | None:
    """An Analysis from ``estimate_graph``'s log; None when an end window is all silence
    (then where the sound starts or stops is unknown and only the full analysis can tell) or
    the tail decoded nothing (the file is shorter than it says)."""
    end = end_of_audio(log)
    if end is None:
        return None
    decoded = end - facts.start_s
    tail_start = (facts.declared_s or decoded) - _EDGE_S
    found = merge(silences(log, facts.start_s, decoded))
    for start, stop in found:
        if start <= 0.01 and stop >= _EDGE_S - 0.05:
            return None
        if stop >= decoded - 0.05 and start <= tail_start + 0.05:
            return None
    return Analysis(
        facts=facts,
        decoded_s=decoded,
        loudness_lufs=integrated_loudness(momentary_blocks(log)),
        peak_db=peak_db(log),
        silences=tuple(found),
    )


def with_more_samples(guess: Analysis, first: str, *more: str) -> Analysis:
    """``guess`` (from ``first``, ``estimate_graph``'s log) with the windows of ``more``
    (``more_samples_graph``'s logs) measured in: all their blocks gated as one."""
    blocks = [block for log in (first, *more) for block in momentary_blocks(log)]
    return dataclasses.replace(
        guess,
        loudness_lufs=integrated_loudness(blocks),
        peak_db=max([guess.peak_db, *(peak_db(log) for log in more)]),
    )


def settled(guess: Analysis, guessed: Plan, exact: Analysis, measured: Plan) -> Plan | None:
    """The plan the guess encoded, in terms of the exact analysis, if it is close enough to
    what the exact analysis asks for; None when the encode must be redone."""

    def end_trim(analysis: Analysis, chosen: Plan) -> float | None:
        return chosen.end_s if chosen.end_s < analysis.decoded_s - 0.001 else None

    guessed_end, measured_end = end_trim(guess, guessed), end_trim(exact, measured)
    ends_agree = guessed_end == measured_end or (
        guessed_end is not None and measured_end is not None
        and abs(guessed_end - measured_end) <= 0.02
    )  # fmt: skip
    if (guessed.limit_db is not None or measured.limit_db is not None or not ends_agree
            or abs(guessed.start_s - measured.start_s) > 0.02
            or abs(guessed.gain_db - measured.gain_db) > GUESS_TOLERANCE_DB):  # fmt: skip
        return None
    end = exact.decoded_s if guessed_end is None else guessed_end
    return Plan(guessed.start_s, end, guessed.gain_db, None)
