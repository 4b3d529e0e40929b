"""A release of yt-dlp tried in a process of its own before the daemon runs it.

``python -m spotsyncd.sources.ytdlp.canary --folder DIR [--allow-private JSON] [URL...]`` puts
``DIR`` first on ``sys.path``, imports yt-dlp from it and extracts each URL's information (no
download: ``download=False``), through the same address check as the daemon. It prints one JSON
object: ``{"version": ..., "folder": ..., "results": [{"url", "ok", "error_class", "error"}]}``.
A release that does not import exits 3 with the reason on stderr, so a broken build never gets
into the daemon's own process.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_NO_IMPORT = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spotsyncd.sources.ytdlp.canary")
    parser.add_argument("--folder", type=Path, help="the release folder (none: as installed)")
    parser.add_argument("--allow-private", default="false", help="network.allow_private, JSON")
    parser.add_argument("--timeout", type=float, default=30.0, help="socket timeout, seconds")
    parser.add_argument("--js-runtime", type=Path, help="the JavaScript runtime the daemon uses")
    parser.add_argument("--cookies", type=Path, help="download.cookies_file (read, never written)")
    parser.add_argument("urls", nargs="*", help="http(s) URLs to extract")
    args = parser.parse_args(argv)
    if args.folder is not None:
        sys.path.insert(0, str(args.folder))
    try:
        import yt_dlp
        from yt_dlp.version import __version__
    except Exception as exc:  # noqa: BLE001 - whatever a broken build raises is the answer
        print(f"yt-dlp does not import: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_NO_IMPORT
    loaded_from = Path(yt_dlp.__file__ or "").resolve().parent.parent
    if args.folder is not None and loaded_from != args.folder.resolve():
        print(f"yt-dlp was imported from {loaded_from}, not {args.folder}", file=sys.stderr)
        return EXIT_NO_IMPORT
    from spotsyncd.sources.ytdlp.guard import install_address_guard

    try:  # a release whose connections the address check cannot see is no release to run
        install_address_guard()
    except Exception as exc:  # noqa: BLE001 - the reason is the answer
        print(f"the address check does not fit this yt-dlp: {exc}", file=sys.stderr)
        return EXIT_NO_IMPORT
    policy = _policy(args.allow_private)
    results = [_extract(yt_dlp, url, policy, args) for url in args.urls]
    print(json.dumps({"version": __version__, "folder": str(loaded_from), "results": results}))
    return 0


def _policy(setting: str) -> Any:
    from spotsyncd.system.netguard import AddressPolicy

    value = json.loads(setting)
    allowance = value if isinstance(value, bool) else tuple(str(v) for v in value)
    return AddressPolicy.from_setting(allowance)


def _extract(yt_dlp: Any, url: str, policy: Any, args: argparse.Namespace) -> dict[str, Any]:
    from spotsyncd.sources.ytdlp.info import classify_error, clean_message, is_http_url
    from spotsyncd.system.netguard import BLOCKED_PHRASE, guarding

    if not is_http_url(url):
        return {"url": url, "ok": False, "error_class": "permanent", "error": "not http(s)"}
    params = {
        "quiet": True,
        "noprogress": True,
        "skip_download": True,
        "noplaylist": True,
        "default_search": "error",
        "socket_timeout": args.timeout,
        "cachedir": False,
        "format": "bestaudio/best",
        "logger": _Quiet(),  # the outcome is the report; yt-dlp's own lines are noise here
    }
    if args.js_runtime is not None:  # as the client names it (plumbing.py)
        from spotsyncd.sources.ytdlp.plumbing import js_runtime_param

        params["js_runtimes"] = js_runtime_param(args.js_runtime)
    try:
        with guarding(policy), yt_dlp.YoutubeDL(params) as ydl:
            if args.cookies is not None:  # loaded, not passed: yt-dlp would write it back
                ydl.cookiejar.load(str(args.cookies))
            info = ydl.extract_info(url, download=False)
    except Exception as exc:  # noqa: BLE001 - a canary reports, it never raises
        message = clean_message(str(exc))
        kind = classify_error(message, http_status=None, youtube="youtu" in url)
        error_class = str(getattr(kind, "error_class", "transient"))
        if BLOCKED_PHRASE in message:  # the address check, not the release
            error_class = "blocked_address"
        return {"url": url, "ok": False, "error_class": error_class, "error": message[:300]}
    found = isinstance(info, dict) and bool(info.get("url") or info.get("formats"))
    return {
        "url": url,
        "ok": found,
        "error_class": None if found else "permanent",
        "error": None if found else "yt-dlp found no media",
    }


class _Quiet:
    def debug(self, message: str) -> None:
        pass

    warning = info = error = debug


if __name__ == "__main__":
    raise SystemExit(main())
