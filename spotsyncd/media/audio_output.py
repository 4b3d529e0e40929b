"""What an encode writes and what the step reports: pure functions of settings and figures.

``output_for`` picks the muxer, extension and codec arguments (a stream copy when nothing would
change); ``processed`` turns the analysis and the plan into the ``Processed`` the pipeline gets.
"""

from __future__ import annotations

import math
from pathlib import Path

from spotsyncd.core.config import AudioConfig
from spotsyncd.core.models import Processed
from spotsyncd.media.audio_analysis import Analysis, Plan

# format -> (encoder, muxer, extension)
ENCODERS: dict[str, tuple[str, str, str]] = {
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
COPY = ["-c:a", "copy"]


def output_for(
    analysis: Analysis, settings: AudioConfig, chosen: Plan
) -> tuple[str, str, list[str]]:
    """The muxer, extension and codec arguments of the output."""
    codec = analysis.facts.codec
    if settings.format == "original":
        muxer, ext = _CONTAINERS.get(codec, ("matroska", "mka"))
        return muxer, ext, COPY
    encoder, muxer, ext = ENCODERS[settings.format]
    untouched = (chosen.gain_db == 0.0 and chosen.limit_db is None
                 and chosen.start_s == 0.0 and chosen.end_s >= analysis.decoded_s)  # fmt: skip
    if untouched and codec == _FORMAT_CODEC[settings.format]:
        return muxer, ext, COPY
    if encoder == "flac":
        return muxer, ext, ["-c:a", "flac"]
    bitrate = settings.bitrate.lower()
    if bitrate == "v0":
        if encoder == "libmp3lame":
            return muxer, ext, ["-c:a", encoder, "-q:a", "0"]
        bitrate = _VBR_FALLBACK[settings.format]
    return muxer, ext, ["-c:a", encoder, "-b:a", bitrate]


def processed(
    path: Path, duration: float, analysis: Analysis, chosen: Plan, timings: dict[str, float]
) -> Processed:
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
        timings=timings,
        lead_trimmed_s=max(0.0, chosen.start_s),
    )
