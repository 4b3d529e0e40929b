"""The files of one ``FfmpegAudioProcessor.process`` call (``Work``), and the fingerprint its
encode takes on the way.

**The fingerprint** (``fingerprint=True``, identity on) comes from the same encode: the decoded
audio is split, its first 120 s handed as 16-bit samples (mono or stereo, as decoded) in 8
k-sample frames to the ``chromaprint`` muxer, a second output, which mixes and resamples them
to its 11025 Hz mono as fpcalc has it do: the print is the one ``ffmpeg -i FILE -f
chromaprint``, fpcalc and the separate process give, bit for bit. No second decode and no
second process: +3.4-3.9 % of the process step's instructions (callgrind; +1-3 % of its CPU
seconds, timed), where a separate ``ffmpeg -t 120 -i FILE -f chromaprint`` costs +10-16 %. Its
memory: ~1.4 MB of the encode's private memory (Chromaprint's state, the second output's thread
and queue), which stays 6-38 MB under the estimate's, the step's largest run: the step's
private peak does not move. RSS also counts the pages of ffmpeg's own code the encode touches,
~6.5 MB more of them for Chromaprint's FFT (FFTW's planner; shared with every ffmpeg, given
back under pressure), which brings the encode's RSS to about the estimate's. ``python -m
bench.identity --instructions`` measures it all. A stream copy has no decode to share: it gives
no fingerprint, and the caller runs the separate process.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from spotsyncd.core.config import AudioConfig
from spotsyncd.core.errors import PermanentError
from spotsyncd.core.models import Fingerprint
from spotsyncd.media import audio_analysis as aa
from spotsyncd.system.tools import ffmpeg_muxers

FINGERPRINT_S = 120  # as ``identity.fingerprint.SECONDS``: what AcoustID's fpcalc takes
# What fpcalc hands Chromaprint: 16-bit samples at the file's own rate and channels (one or
# two: the muxer takes no more, so a surround file is mixed to two), which Chromaprint mixes
# and resamples to its 11025 Hz mono itself. So the print is the one ``ffmpeg -i FILE -f
# chromaprint`` and fpcalc give, bit for bit, and the one AcoustID indexes (an ``aresample``
# here cost more instructions and changed a few bits; mixing to mono here, one item in a
# thousand for AAC). 8 k-sample frames: few hand-offs between ffmpeg's threads, and small
# queues between them (64 k-sample frames added 4.9 MB of private memory to the encode, 8 k ones
# 1.4). p=0: no silence padded on the last one.
FINGERPRINT_CHAIN = (
    f"atrim=end={FINGERPRINT_S},aformat=sample_fmts=s16:channel_layouts=mono|stereo,"
    "asetnsamples=n=8192:p=0"
)


class Work:
    """The files of one ``process`` call in ``dest_dir``; ``clean`` leaves only the result."""

    def __init__(
        self, src: Path, dest_dir: Path, settings: AudioConfig, *, fingerprint: bool = False
    ) -> None:
        self.src, self.dest_dir, self.settings = src, dest_dir, settings
        self.link = dest_dir / ".audio-source"
        self.print_file = dest_dir / ".audio-fingerprint"
        self.partials: set[Path] = {self.print_file}
        self.wants_print = fingerprint
        self.fingerprint: Fingerprint | None = None
        self.timings: dict[str, float] = {}  # seconds per step: probe, analysis, encode

    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.monotonic() - started

    def partial(self, ext: str) -> Path:
        path = self.dest_dir / f".audio-partial.{ext}"
        self.partials.add(path)
        return path

    def amovie(self, facts: aa.StreamFacts) -> str:
        """``amovie`` reading ``src``: a file name inside a filter graph would need ':,;[]\\'
        escaped; a fixed-name link in the working directory needs none (a hard link where the
        file system has no symbolic ones, as some NAS shares)."""
        if not os.path.lexists(self.link):
            try:
                self.link.symlink_to(self.src.resolve())
            except OSError:
                try:
                    os.link(self.src, self.link)
                except OSError as exc:
                    raise PermanentError(
                        f"cannot link {self.src.name} into {self.dest_dir}: {exc.strerror}; "
                        "the staging directory needs a file system with links"
                    ) from exc
        return f"amovie={self.link.name}:f={facts.demuxer}"

    def decoded(self, facts: aa.StreamFacts) -> str:
        """The whole audio decoded inside the graph, its time counted from the start."""
        return aa.from_zero(self.amovie(facts), facts)

    def encoded(self, analysis: aa.Analysis, chosen: aa.Plan) -> str:
        """The chain from the file to what ``chosen`` encodes: trimmed, gained, limited."""
        return f"{self.decoded(analysis.facts)},{aa.filters(analysis, chosen)}"

    def printed(self, decoded: str, facts: aa.StreamFacts) -> tuple[str, list[str]]:
        """``decoded`` with a branch to the fingerprint's output (when one is wanted and not
        yet taken, and the file's length is known), and that output's arguments. The chain
        goes on after the split (``anull``), so callers append to it as to ``decoded``."""
        if not self.wants_print or self.fingerprint is not None or not facts.declared_s:
            return decoded, []
        self.print_file.unlink(missing_ok=True)
        graph = f"{decoded},asplit[print][main];[print]{FINGERPRINT_CHAIN}[fp];[main]anull"
        args = ["-map", "[fp]", "-f", "chromaprint", "-fp_format", "base64", "-y",
                str(self.print_file.absolute())]  # fmt: skip
        return graph, args

    def read_print(self, facts: aa.StreamFacts) -> None:
        """The fingerprint the encode wrote, if it wrote one; the length AcoustID wants is the
        whole file's, from its header (as the separate process takes it)."""
        if self.fingerprint is not None or not facts.declared_s:
            return
        try:
            value = self.print_file.read_text("ascii").strip()
        except (OSError, UnicodeDecodeError):
            return
        if value:
            self.fingerprint = Fingerprint(value=value, duration_s=facts.declared_s)

    def clean(self) -> None:
        for path in (self.link, *self.partials):
            path.unlink(missing_ok=True)


def muxes_prints(ffmpeg: Path) -> bool:
    """Whether ``ffmpeg`` has the ``chromaprint`` muxer: a system ffmpeg without it
    (``download.ffmpeg``) would fail the whole encode on that output, so it encodes without one
    and the caller's fingerprint process says why there is none."""
    try:
        return "chromaprint" in ffmpeg_muxers(ffmpeg)
    except (OSError, subprocess.TimeoutExpired):
        return False
