"""pip, run with the daemon's own interpreter: which yt-dlp release is the newest, and that
release installed into a folder of its own (``pip install --target``). Never the installed
environment: the folder is all that changes, and a failed install leaves no folder behind.

Only ``yt-dlp`` itself is installed (``--no-deps``): its dependencies (requests, urllib3,
websockets…) are already loaded by the daemon, and a second copy on ``sys.path`` would shadow
them half-way. yt-dlp's own companion package ``yt-dlp-ejs`` (the YouTube challenge solver,
released in step with it) comes too when the release asks for a version the environment does
not have.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from email.parser import Parser
from pathlib import Path

from spotsyncd.core.errors import SpotsyncError

PIP_TIMEOUT_S = 300.0
_NEWEST = re.compile(r"^yt-dlp \(([^)]+)\)", re.M)
_EJS = re.compile(
    r"^yt-dlp-ejs\s*(?:\(?\s*([=<>!~][^;)]*)\)?)?\s*;\s*extra\s*==\s*['\"]default['\"]"
)


class FetchError(SpotsyncError):
    """pip could not find or install a release; the daemon keeps the yt-dlp it runs."""

    error_class = "yt_dlp_update"


def _pip(args: list[str], index_url: str | None, timeout_s: float) -> str:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-input"]
    if index_url:
        command += ["--index-url", index_url]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            env={**os.environ, "PIP_NO_CACHE_DIR": "1"},
        )
    except subprocess.TimeoutExpired:
        raise FetchError(f"pip did not finish within {timeout_s:.0f}s") from None
    except OSError as exc:
        raise FetchError(f"pip could not start: {exc}") from None
    if done.returncode != 0:
        last = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise FetchError(f"pip failed: {last[-1] if last else f'exit {done.returncode}'}")
    return done.stdout


def newest_release(index_url: str | None = None, timeout_s: float = 60.0) -> str:
    """The newest yt-dlp release the index offers (no install)."""
    out = _pip(["index", "versions", "yt-dlp"], index_url, timeout_s)
    found = _NEWEST.search(out)
    if found is None:
        raise FetchError("pip listed no yt-dlp release")
    return found.group(1).strip()


def install_release(
    version: str, home: Path, index_url: str | None = None, timeout_s: float = PIP_TIMEOUT_S
) -> Path:
    """``yt-dlp==version`` installed into ``home/version`` (replacing a half-made one)."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / version
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=home))
    try:
        _pip(
            [
                "install",
                "--no-deps",
                "--no-compile",
                "--target",
                str(staging),
                f"yt-dlp=={version}",
            ],
            index_url,
            timeout_s,
        )
        ejs = _ejs_wanted(staging)
        if ejs is not None:
            _pip(["install", "--no-deps", "--target", str(staging), ejs], index_url, timeout_s)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _ejs_wanted(folder: Path) -> str | None:
    """The ``yt-dlp-ejs`` requirement of the release in ``folder`` when the environment does
    not satisfy it (None otherwise, or when the release names none)."""
    metadata_files = list(folder.glob("yt_dlp-*.dist-info/METADATA"))
    if not metadata_files:
        return None
    message = Parser().parsestr(metadata_files[0].read_text(encoding="utf-8"))
    for requirement in message.get_all("Requires-Dist") or []:
        found = _EJS.match(requirement.strip())
        if found is None:
            continue
        spec = (found.group(1) or "").strip()
        if _satisfied(spec):
            return None
        return f"yt-dlp-ejs{spec}"
    return None


def _satisfied(spec: str) -> bool:
    from importlib import metadata

    try:
        have = metadata.version("yt-dlp-ejs")
    except metadata.PackageNotFoundError:
        return False
    if not spec:
        return True
    if spec.startswith("=="):
        return have == spec[2:].strip()
    return True  # a range: the installed one was chosen to fit the installed yt-dlp; keep it
