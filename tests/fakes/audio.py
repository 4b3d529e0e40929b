"""Generate short real audio files with the bundled ffmpeg, and measure them."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
    "m4a": ["-c:a", "aac", "-b:a", "128k"],
    "opus": ["-c:a", "libopus", "-b:a", "96k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "3"],
    "flac": ["-c:a", "flac"],
    "wav": ["-c:a", "pcm_s16le"],
}


def make_audio(
    path: Path,
    *,
    seconds: float = 3.0,
    lead_silence: float = 0.0,
    tail_silence: float = 0.0,
    freq: int = 440,
    volume_db: float = 0.0,
    tags: dict[str, str] | None = None,
) -> Path:
    """A tone of ``seconds`` at ``volume_db`` with silence before and after, in the codec that
    ``path``'s suffix names (mp3, m4a, opus, ogg, flac, wav)."""
    ext = path.suffix.lstrip(".")
    filters = f"volume={volume_db}dB"
    if lead_silence:
        filters += f",adelay={int(lead_silence * 1000)}:all=1"
    if tail_silence:
        filters += f",apad=pad_dur={tail_silence}"
    cmd = [
        FFMPEG,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={freq}:sample_rate=44100:duration={seconds}",
        "-af",
        filters,
        "-ac",
        "2",
        *CODECS[ext],
    ]
    for name, value in (tags or {}).items():
        cmd += ["-metadata", f"{name}={value}"]
    cmd.append(str(path))
    subprocess.run(cmd, check=True, capture_output=True)
    return path


def duration(path: Path) -> float:
    out = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True
    ).stderr
    times = re.findall(r"time=(\d+):(\d+):(\d+\.\d+)", out)
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def loudness(path: Path) -> dict[str, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) by ffmpeg's ebur128 filter."""
    out = subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true:framelog=quiet",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
    ).stderr
    integrated = float(re.findall(r"I:\s+(-?[\d.]+|-inf) LUFS", out)[-1])
    peak = re.findall(r"Peak:\s+(-?[\d.]+|-inf) dBFS", out)
    return {"lufs": integrated, "true_peak": float(peak[-1]) if peak else float("nan")}


def probe_json(path: Path) -> dict[str, object]:
    """Minimal stream facts without ffprobe: codec name from ffmpeg's banner."""
    out = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr
    match = re.search(r"Audio: (\w+)", out)
    return json.loads(json.dumps({"codec": match.group(1) if match else None}))
