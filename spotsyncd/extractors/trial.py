"""A release tried before the daemon runs it, in a process of its own
(``python -m spotsyncd.sources.ytdlp.canary``): it must import from its folder, say the version
it was installed as, and extract (not download) a few recent downloads of each source the user
uses. The canary URLs come from the ledger: what the release in use did download lately."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spotsyncd.sources.ytdlp.runtime import source_of

CANARY_TIMEOUT_S = 180.0


@dataclass
class Trial:
    """What a release did: ``ok`` only when it imported as ``version`` and every canary
    extraction worked."""

    version: str | None
    ok: bool
    problem: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({source_of(r["url"]) for r in self.results})


def canary_urls(recent: list[str], per_source: int) -> list[str]:
    """At most ``per_source`` of the ``recent`` audio pages per source, newest first."""
    picked: dict[str, list[str]] = {}
    for url in recent:
        chosen = picked.setdefault(source_of(url), [])
        if len(chosen) < per_source:
            chosen.append(url)
    return [url for urls in picked.values() for url in urls]


def try_release(
    folder: Path | None,
    urls: list[str],
    *,
    expect: str | None,
    allow_private: bool | tuple[str, ...],
    cookies_file: Path | None = None,
    timeout_s: float = CANARY_TIMEOUT_S,
) -> Trial:
    """Run the canary on ``folder``'s release (None: the installed one), with the JavaScript
    runtime and the cookies the daemon's downloads use."""
    from spotsyncd.system.tools import find_js_runtime

    command = [sys.executable, "-m", "spotsyncd.sources.ytdlp.canary"]
    if folder is not None:
        command += ["--folder", str(folder)]
    js = find_js_runtime()
    if js is not None:
        command += ["--js-runtime", str(js.path)]
    if cookies_file is not None:
        command += ["--cookies", str(cookies_file)]
    allowance = allow_private if isinstance(allow_private, bool) else list(allow_private)
    command += ["--allow-private", json.dumps(allowance), "--", *urls]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return Trial(None, False, f"the canary did not finish within {timeout_s:.0f}s")
    except OSError as exc:
        return Trial(None, False, f"the canary could not start: {exc}")
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return Trial(None, False, lines[-1] if lines else f"the canary exited {done.returncode}")
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Trial(None, False, "the canary said nothing readable")
    version, results = str(report.get("version")), list(report.get("results") or [])
    if expect is not None and version != expect:
        return Trial(version, False, f"it says it is yt-dlp {version}, not {expect}", results)
    failed = [r for r in results if not r.get("ok")]
    if failed:
        first = failed[0]
        problem = (
            f"{len(failed)} of {len(results)} canary extractions failed; "
            f"{first.get('url')}: {first.get('error_class')}: {first.get('error')}"
        )
        return Trial(version, False, problem, results)
    return Trial(version, True, None, results)
