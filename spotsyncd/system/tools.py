"""Find the outside programs spotsyncd drives: ffmpeg and the JavaScript runtime for yt-dlp.

Under systemd or launchd the venv's ``bin/`` is not on PATH, so nothing here relies on PATH for
the bundled programs: they are located from the installed packages themselves.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Program:
    path: Path
    origin: str  # "configured", "bundled", "venv" or "PATH"


def find_ffmpeg(configured: Path | None = None) -> Program:
    """The configured system ffmpeg if it exists, else the one bundled by imageio-ffmpeg."""
    if configured is not None:
        if configured.is_file() and os.access(configured, os.X_OK):
            return Program(configured, "configured")
        found = shutil.which(str(configured))
        if found:
            return Program(Path(found), "configured")
        log.warning(
            "download.ffmpeg %s is not an executable file; using the bundled ffmpeg", configured
        )
    import imageio_ffmpeg

    return Program(Path(imageio_ffmpeg.get_ffmpeg_exe()), "bundled")


_MUXER = re.compile(rb"^\s*D?E\S*\s+(\S+)", re.MULTILINE)


@functools.cache
def ffmpeg_muxers(ffmpeg: Path) -> frozenset[str]:
    """The formats ``ffmpeg`` can write (``ffmpeg -muxers``), asked once per binary. Raises
    ``OSError`` or ``subprocess.TimeoutExpired`` when it cannot run (not remembered: asked
    again next time)."""
    done = subprocess.run([str(ffmpeg), "-hide_banner", "-muxers"], capture_output=True,
                          timeout=30, check=False)  # fmt: skip
    return frozenset(
        name.decode("ascii", "replace")
        for names in _MUXER.findall(done.stdout.partition(b"---")[2])
        for name in names.split(b",")
    )


def find_js_runtime() -> Program | None:
    """The ``deno`` that the ``deno`` package put beside our interpreter, else one on PATH."""
    beside = Path(sys.executable).parent / ("deno.exe" if os.name == "nt" else "deno")
    if beside.is_file():
        return Program(beside, "venv")
    try:
        import deno

        found = deno.find_deno_bin()
        if found and Path(found).is_file():
            return Program(Path(found), "bundled")
    except (ImportError, OSError, RuntimeError, FileNotFoundError):
        pass
    for name in ("deno", "node", "bun"):
        path = shutil.which(name)
        if path:
            return Program(Path(path), "PATH")
    return None
