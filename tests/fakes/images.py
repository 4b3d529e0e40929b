"""Real small images (JPEG, PNG) made with the bundled ffmpeg, for artwork tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.fakes.audio import FFMPEG


def make_image(path: Path, color: str = "red", size: int = 64) -> bytes:
    """A ``size``² picture of one ``color``, in the format ``path``'s suffix names."""
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"color=c={color}:s={size}x{size}", "-frames:v", "1", str(path)],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path.read_bytes()
