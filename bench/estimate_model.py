"""How often would the loudness estimate miss? ``python -m bench.estimate_model [--songs N]``.

The process step encodes from an estimate of the loudness (a few short windows of the file) and
measures the whole file in the same pass; when the two differ by more than
``GUESS_TOLERANCE_DB`` the encode is thrown away and done again: a whole encode's CPU for
nothing. Generated inputs (steady noise) never miss, so the benchmarks cannot tell a good
sampling plan from a bad one. This model can: songs as sections of different loudness (an
intro and an outro quieter than the body, verses and choruses around it), each 100 ms block
fluctuating around its section's level (AR(1), ~1.7 LU), with the block loudness gated by the
product's own ``integrated_loudness`` (BS.1770).

For each plan it reports the share of songs whose estimate misses by more than the tolerance
(each one an encode done twice) and the median and 95th-percentile error. The plans: the one
shipped (``SAMPLES`` windows of ``SAMPLE_S`` spread over the file, and ``SAMPLES - 1`` more
between them when the first ones disagree), the one before it (both 8 s ends whole plus ten
2 s windows between them, measured together), and a few others.
It is a model, not music: it ranks plans, it does not predict a library's exact figures.
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from spotsyncd.media import audio_analysis as aa

Song = list[float]  # momentary loudness (LUFS) every 100 ms
Plan = Callable[[Song], list[float]]
# (section level spread in LU, how much quieter intro/outro can be in LU)
MODELS = ((1.0, 6.0), (1.5, 8.0), (2.5, 12.0))


def make_song(rng: random.Random, section_sd: float, quieter_ends: float) -> Song:
    duration = rng.uniform(150, 300)
    body = -10.0
    sections = [(rng.uniform(0, 20), body - rng.uniform(1, quieter_ends))]  # intro
    while sum(length for length, _ in sections) < duration - 20:
        sections.append((rng.uniform(8, 40), body + rng.gauss(0, section_sd)))
    sections.append((duration - sum(length for length, _ in sections),
                     body - rng.uniform(1, quieter_ends)))  # fmt: skip
    blocks: Song = []
    for length, level in sections:
        wobble = 0.0
        for _ in range(int(length * 10)):
            wobble = 0.8 * wobble + rng.gauss(0, 1.0)
            blocks.append(level + wobble)
    return blocks


def _windows(song: Song, samples: int, sample_s: float, positions: list[float]) -> list[Song]:
    width = int(sample_s * 10)
    starts = [int(len(song) * position / samples - width / 2) for position in positions]
    return [song[at : at + width] for at in starts]


def spread(samples: int, sample_s: float) -> Plan:
    """``samples`` windows of ``sample_s`` at the centres of equal parts of the song."""

    def plan(song: Song) -> list[float]:
        windows = _windows(song, samples, sample_s, [i + 0.5 for i in range(samples)])
        return [block for window in windows for block in window]

    return plan


class Shipped:
    """What ``FfmpegAudioProcessor`` does, with the product's own pass plan and standard error:
    ``SAMPLES`` windows; while their mean power is less sure than ``SAMPLING_ERROR_DB``, the
    next pass's windows between them, as many passes as ``sample_passes`` allows the song."""

    def __init__(self) -> None:
        self.second_passes = 0  # songs that sampled more than once

    def __call__(self, song: Song) -> list[float]:
        facts = aa.StreamFacts("wav", "pcm", 48000, declared_s=len(song) / 10, start_s=0.0)
        windows = _windows(song, aa.SAMPLES, aa.SAMPLE_S, aa.sample_positions(0))
        for pass_index in range(1, aa.sample_passes(facts)):
            # The blocks that lie wholly inside each window, as the product reads them.
            powers = [statistics.mean(10 ** (b / 10) for b in window[4:]) for window in windows]
            error = aa.standard_error_db(powers)
            if error is None or error <= aa.SAMPLING_ERROR_DB:
                break
            self.second_passes += pass_index == 1
            positions = aa.sample_positions(pass_index)
            windows += _windows(song, aa.SAMPLES, aa.SAMPLE_S, positions)
        return [block for window in windows for block in window]


def ends_and_windows(edge_s: float = 8.0, samples: int = 10, sample_s: float = 2.0) -> Plan:
    """The plan before: both ends whole and ``samples`` windows between them, together."""

    def plan(song: Song) -> list[float]:
        edge, width = int(edge_s * 10), int(sample_s * 10)
        picked = song[:edge] + song[-edge:]
        step = (len(song) - 2 * edge) / (samples + 1)
        for index in range(1, samples + 1):
            at = int(edge + step * index - width / 2)
            picked += song[at : at + width]
        return picked

    return plan


def evaluate(plan: Plan, songs: Sequence[Song], truths: Sequence[float]) -> dict[str, float]:
    errors = []
    for song, truth in zip(songs, truths, strict=True):
        guess = aa.integrated_loudness(plan(song))
        errors.append(abs((guess if guess is not None else -70.0) - truth))
    errors.sort()
    return {
        "redo_pct": round(100 * sum(e > aa.GUESS_TOLERANCE_DB for e in errors) / len(errors), 1),
        "p50_lu": round(statistics.median(errors), 2),
        "p95_lu": round(errors[int(0.95 * (len(errors) - 1))], 2),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.estimate_model",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--songs", type=int, default=1500, help="songs per model (1500)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    shipped = Shipped()
    plans: dict[str, Plan] = {
        f"shipped: {aa.SAMPLES} (+{aa.SAMPLES - 1}) x {aa.SAMPLE_S:g} s": shipped,
        "before: ends + 10 x 2 s": ends_and_windows(),
        f"{aa.SAMPLES} x {aa.SAMPLE_S:g} s spread, never more": spread(aa.SAMPLES, aa.SAMPLE_S),
        "10 x 2 s spread": spread(10, 2.0),
        "24 x 1 s spread": spread(24, 1.0),
    }
    results: dict[str, Any] = {}
    for section_sd, quieter_ends in MODELS:
        rng = random.Random(args.seed)
        songs = [make_song(rng, section_sd, quieter_ends) for _ in range(args.songs)]
        truths = [aa.integrated_loudness(song) or -70.0 for song in songs]
        model = f"sections ±{section_sd:g} LU, ends up to {quieter_ends:g} LU quieter"
        shipped.second_passes = 0
        results[model] = {name: evaluate(plan, songs, truths) for name, plan in plans.items()}
        second = 100 * shipped.second_passes / len(songs)
        results[model]["second_pass_pct"] = round(second, 1)
        print(f"{model} ({args.songs} songs): share re-encoded (miss > "
              f"{aa.GUESS_TOLERANCE_DB} LU), median / p95 miss")  # fmt: skip
        for name, figures in results[model].items():
            if name == "second_pass_pct":
                print(f"  (the shipped plan sampled more for {figures} % of the songs)")
                continue
            print(f"  {name:32} {figures['redo_pct']:5.1f} %   {figures['p50_lu']:.2f} / "
                  f"{figures['p95_lu']:.2f} LU")  # fmt: skip
    return results


if __name__ == "__main__":
    main()
