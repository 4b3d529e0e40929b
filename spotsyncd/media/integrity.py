"""Does an audio file still play? A fast null decode through ffmpeg, start to end.

A cut-off MP3, FLAC or Opus file often decodes without a single error, just shorter, so the
decoded length is compared with the length the file had when it was filed. ``decode_many`` checks
a batch of files in one ffmpeg process (a process start costs more than decoding a short file);
ffmpeg's per-input statistics say how many samples each decoded and with how many errors.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_ERROR_CHARS = 300
_CONTEXT = re.compile(r"\[[^\]]* @ 0x[0-9a-f]+\]\s*")  # "[dec:flac @ 0x55d6…] "


@dataclass(frozen=True)
class DecodeCheck:
    ok: bool
    decoded_s: float | None
    problem: str | None = None  # one line: what is wrong with the file


def shortfall_allowed(expected_s: float) -> float:
    """How much shorter than expected a decode may be: codec padding, not lost audio."""
    return max(1.0, 0.02 * expected_s)


def decode_check(
    ffmpeg: Path, path: Path, *, expected_s: float | None = None, timeout_s: float = 600.0
) -> DecodeCheck:
    """Decode the first audio stream of ``path`` to nowhere and report what went wrong."""
    command = [
        str(ffmpeg), "-nostdin", "-hide_banner", "-v", "error", "-nostats",
        "-progress", "pipe:1", "-i", str(path), "-map", "0:a:0", "-f", "null", "-",
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, timeout=timeout_s, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return DecodeCheck(False, None, f"decoding took longer than {timeout_s:.0f} s")
    except OSError as exc:
        raise RuntimeError(f"cannot run ffmpeg ({ffmpeg}): {exc.strerror}") from exc
    decoded = _decoded_seconds(result.stdout.decode("utf-8", "replace"))
    stderr = result.stderr.decode("utf-8", "replace")
    errors = [_CONTEXT.sub("", line).strip() for line in stderr.splitlines()]
    errors = [line for line in errors if line]
    if result.returncode != 0 or errors:
        detail = errors[-1] if errors else f"ffmpeg exited with code {result.returncode}"
        return DecodeCheck(False, decoded, f"does not decode: {detail[:MAX_ERROR_CHARS]}")
    return _judge(decoded, expected_s)


_INPUT = re.compile(r"\] Input #(\d+),")
_OUTPUT = re.compile(r"\] Output #(\d+),")
_RATE = re.compile(r"Stream #(\d+):(\d+)\S*: Audio: .*?(\d+) Hz")
_STATS = re.compile(r"Input stream #(\d+):(\d+) \(audio\):.*?(\d+) decode errors \((\d+) samples\)")
_WHO = re.compile(r"^\[(?:in#|aist#)(\d+)[/:\s@]")


def decode_many(
    ffmpeg: Path, items: Sequence[tuple[Path, float | None]], *, timeout_s: float = 600.0
) -> list[DecodeCheck]:
    """:func:`decode_check` for each ``(path, expected_s)``, in one ffmpeg run when possible."""
    if len(items) <= 1:
        return [decode_check(ffmpeg, p, expected_s=e, timeout_s=timeout_s) for p, e in items]
    command = [str(ffmpeg), "-nostdin", "-hide_banner", "-nostats", "-loglevel",
               "repeat+level+verbose"]  # fmt: skip
    for path, _ in items:
        command += ["-i", str(path)]
    for index in range(len(items)):
        command += ["-map", f"{index}:a:0", "-f", "null", "-"]
    try:
        result = subprocess.run(
            command, capture_output=True, timeout=timeout_s, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        result = None
    except OSError as exc:
        raise RuntimeError(f"cannot run ffmpeg ({ffmpeg}): {exc.strerror}") from exc
    parsed = None
    if result is not None and result.returncode == 0:
        parsed = _parse_batch(result.stderr.decode("utf-8", "replace"), items)
    if parsed is None:  # a file that cannot even be opened stops the whole run: one by one
        return [decode_check(ffmpeg, p, expected_s=e, timeout_s=timeout_s) for p, e in items]
    return parsed


def _parse_batch(log: str, items: Sequence[tuple[Path, float | None]]) -> list[DecodeCheck] | None:
    rates: dict[tuple[int, int], int] = {}
    stats: dict[int, tuple[int, int, int]] = {}  # input → (stream, errors, samples)
    errors: dict[int, str] = {}
    loose: list[str] = []  # decoder messages that name no input ("[flac @ 0x…] invalid residual")
    in_input = False
    for line in log.splitlines():
        if _INPUT.search(line):
            in_input = True
        elif _OUTPUT.search(line):
            in_input = False
        rate = _RATE.search(line)
        if rate and in_input:
            rates.setdefault((int(rate[1]), int(rate[2])), int(rate[3]))
        stat = _STATS.search(line)
        if stat:
            stats.setdefault(int(stat[1]), (int(stat[2]), int(stat[3]), int(stat[4])))
        if "] [error] " in line or "] [fatal] " in line or line.startswith(("[error]", "[fatal]")):
            who = _WHO.match(line)
            text = _CONTEXT.sub("", line).replace("[error] ", "").replace("[fatal] ", "").strip()
            if who is None:
                loose.append(text)
            else:
                errors.setdefault(int(who[1]), text)
    if any(i not in stats or (i, stats[i][0]) not in rates for i in range(len(items))):
        return None
    failing = [i for i in range(len(items)) if i in errors or stats[i][1]]
    if loose and not failing:
        return None  # an error we cannot pin on one file: check them one by one
    checks = []
    for index, (_, expected) in enumerate(items):
        stream, failed, samples = stats[index]
        decoded = samples / rates[(index, stream)]
        if index in errors or failed:
            detail = errors.get(index) or (loose[0] if loose and len(failing) == 1 else "")
            detail = detail or f"{failed} frames failed to decode"
            checks.append(
                DecodeCheck(False, decoded, f"does not decode: {detail[:MAX_ERROR_CHARS]}")
            )
        else:
            checks.append(_judge(decoded, expected))
    return checks


def _judge(decoded: float | None, expected: float | None) -> DecodeCheck:
    if decoded is None or decoded <= 0:
        return DecodeCheck(False, decoded, "holds no audio")
    if expected and decoded < expected - shortfall_allowed(expected):
        return DecodeCheck(
            False, decoded, f"truncated: plays {decoded:.1f} s of the {expected:.1f} s filed"
        )
    return DecodeCheck(True, decoded)


def _decoded_seconds(progress: str) -> float | None:
    last = None
    for line in progress.splitlines():
        if line.startswith("out_time_us="):
            value = line.partition("=")[2].strip()
            if value.lstrip("-").isdigit():
                last = int(value) / 1_000_000
    return last
