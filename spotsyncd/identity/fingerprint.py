"""The Chromaprint fingerprint of the first 120 s of a download, by the bundled ffmpeg.

The pipeline takes it from the encode's own decode (``media.audio``, ``fingerprint=True``):
this separate process is for a download that is not decoded (a stream copy, ``format:
original``), a candidate checked before it is encoded, ``retag --identify``, and for
``bench.identity``'s comparison.

imageio-ffmpeg's static build has the ``chromaprint`` muxer (``ffmpeg -muxers``), so nothing
else is installed: ffmpeg decodes at most 120 s (``-t`` before ``-i`` stops the demuxer there)
and writes the fingerprint in the base64 form AcoustID takes. A file of more than two channels
is mixed to two first (``aformat``): the muxer refuses more (a 5.1 download failed with
"Conversion failed!"); one or two go as they are, as fpcalc hands them to Chromaprint. The
encode takes its print the same way, so the two are equal. The algorithm is the muxer's
default, Chromaprint's default (the one ``fpcalc`` uses and AcoustID indexes). The length
AcoustID wants is the whole file's, which ffmpeg prints from the container's header. A system
ffmpeg without the muxer (``download.ffmpeg``) gives no fingerprint: the tracks are filed
unverified and ``identity_problem`` says why.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

from spotsyncd.core.models import Fingerprint
from spotsyncd.system.tools import ffmpeg_muxers

log = logging.getLogger(__name__)

SECONDS = 120
TIMEOUT_S = 120.0
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")


def fingerprint(ffmpeg: Path, path: Path, *, seconds: int = SECONDS) -> Fingerprint | None:
    """None when ffmpeg cannot read the file or has no chromaprint muxer (logged)."""
    command = [
        str(ffmpeg), "-hide_banner", "-nostdin", "-t", str(seconds), "-i", str(path),
        "-vn", "-af", "aformat=channel_layouts=mono|stereo",
        "-f", "chromaprint", "-fp_format", "base64", "-",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("no fingerprint for %s: %s", path.name, exc)
        return None
    value = done.stdout.decode("ascii", "replace").strip()
    errors = done.stderr.decode("utf-8", "replace")
    found = _DURATION.search(errors)
    if done.returncode != 0 or not value or found is None:
        last = errors.strip().splitlines()[-1:] or ["no output"]
        log.warning("no fingerprint for %s: %s", path.name, last[0])
        return None
    hours, minutes, secs = found.groups()
    duration = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    return Fingerprint(value=value, duration_s=duration)


def identity_problem(ffmpeg: Path) -> str | None:
    """Why ``ffmpeg`` cannot fingerprint (for ``doctor``), or None when it can."""
    try:
        muxers = ffmpeg_muxers(ffmpeg)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{ffmpeg} cannot run: {exc}"
    if "chromaprint" in muxers:
        return None
    return (
        f"{ffmpeg} has no chromaprint muxer: tracks cannot be fingerprinted; unset "
        "download.ffmpeg to use the bundled ffmpeg, which has it"
    )
