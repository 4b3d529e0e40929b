"""``spotsyncd``: argument parsing and the one error boundary.

Commands live in ``spotsyncd/cli/<group>.py``, imported only when run, so ``spotsyncd --help`` stays
fast. Exit codes: 0 ok · 1 the operation failed or found problems · 2 bad config or usage ·
3 another daemon holds the state dir · 4 the system is in the way (ledger locked, corrupt or
read-only, disk full, permission denied, server unreachable) · 70 internal error (a bug) ·
130 interrupted. An operational problem is one line naming it and the fix; the details go to
the log file. Only a bug says "internal error", and its traceback goes to the log file too.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_SYSTEM, EXIT_BUG = 4, 70

# command → (module in spotsyncd.cli, help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run the daemon in the foreground"),
    "worker": ("worker_cmd", "run jobs for the daemon through Celery (queue.backend: celery)"),
    "add": ("queue", "queue links now (the daemon picks them up)"),
    "get": ("get", "fetch links, searches or link files now, with progress bars"),
    "status": ("inspect", "daemon, queue, in-flight jobs, circuits, disk"),
    "tracks": ("inspect", "list tracks and their states"),
    "why": ("inspect", "history, last error and match candidates of one track"),
    "report": ("inspect", "downloads and failures over a period"),
    "retry": ("queue", "queue failed tracks again"),
    "match": ("queue", "use this audio URL for a Spotify track and run it again"),
    "config": ("config_cmd", "check or show the configuration"),
    "doctor": ("doctor", "check the set-up and explain each problem with a fix"),
    "logs": ("logs", "show or follow the log"),
    "follow": ("follow", "follow a playlist, album, artist, channel or feed"),
    "unfollow": ("follow", "stop following"),
    "follows": ("follow", "list follows"),
    "sync": ("follow", "poll follows now (--once: poll, download, exit)"),
    "auth": ("auth", "log in to Spotify (PKCE, loopback redirect)"),
    "service": ("service_cmd", "install/uninstall/start/stop/status the system service"),
    "media-servers": ("media_servers", "ask the configured Navidrome/Jellyfin/Plex to scan now"),
    "web": ("web", "print a login link for the dashboard; 'web token' prints the API token"),
    "verify": ("care", "check every filed track and the library's files (--fix repairs)"),
    "retag": ("care", "rewrite tags and cover from the ledger; --move follows the path template"),
    "ledger": ("ledger_cmd", "migrate the ledger's schema, or copy it to PostgreSQL"),
    "notify": ("notify_cmd", "send a test notification to notify.urls"),
}


def build_parser() -> argparse.ArgumentParser:
    from spotsyncd import __version__

    parser = argparse.ArgumentParser(
        prog="spotsyncd",
        description="Keep a local music library in sync with links, playlists and feeds.",
        epilog="Exit codes: 0 ok, 1 failed/problems found, 2 bad config or usage, "
        "3 another daemon runs on this state dir, 4 the system is in the way (ledger locked, "
        "corrupt or read-only, disk full, permission denied, server unreachable), "
        "70 internal error (a bug), 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"spotsyncd {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="config file (default: $SPOTSYNCD_CONFIG or the user config dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--config", type=Path, metavar="PATH", default=argparse.SUPPRESS, help="config file"
        )
        _arguments(name, command)
    return parser


def _arguments(name: str, p: argparse.ArgumentParser) -> None:
    if name == "run":
        p.add_argument(
            "--once",
            action="store_true",
            help="process the inbox, queue and follows once, then exit",
        )
    elif name == "worker":
        p.add_argument(
            "--concurrency",
            type=int,
            metavar="N",
            help="jobs at once in this process (default: download.workers)",
        )
        p.add_argument(
            "--check",
            action="store_true",
            help="exit 0 if a worker on this host heart-beat within queue.worker_timeout "
            "(a container health check), 1 if not",
        )
    elif name == "add":
        p.add_argument("urls", nargs="+", metavar="URL")
    elif name == "get":
        p.add_argument(
            "items",
            nargs="+",
            metavar="LINK|SEARCH|FILE",
            help="a link, a search like 'Daft Punk - Veridis Quo', or a link file",
        )
        p.add_argument("--json", action="store_true", help="one JSON object per finished track")
        p.add_argument("--format", choices=["mp3", "m4a", "opus", "flac", "original"])
        p.add_argument("--bitrate", help="128k, 192k, 256k, 320k or v0 (this run only)")
        p.add_argument("--output", type=Path, metavar="DIR", help="file the tracks under DIR")
    elif name == "status":
        p.add_argument("--json", action="store_true", help="machine-readable JSON")
    elif name == "tracks":
        p.add_argument("--state", choices=["pending", "waiting", "running", "done", "failed"])
        p.add_argument("--limit", type=int)
        p.add_argument("--json", action="store_true", help="machine-readable JSON")
    elif name == "why":
        p.add_argument("key", help="a track key (spotify:track:…, youtube:…) or its link")
        p.add_argument("--json", action="store_true", help="machine-readable JSON")
    elif name == "report":
        p.add_argument("--since", default="7d", help="period, e.g. 24h, 7d (default 7d)")
        p.add_argument("--json", action="store_true", help="machine-readable JSON")
    elif name == "retry":
        p.add_argument("keys", nargs="*", metavar="KEY")
        p.add_argument("--failed", action="store_true", help="every failed track")
    elif name == "match":
        p.add_argument("key")
        p.add_argument("url")
    elif name == "config":
        p.add_argument("action", choices=["check", "show"])
        p.add_argument("--json", action="store_true", help="machine-readable JSON")
    elif name == "doctor":
        p.add_argument(
            "--repair",
            action="store_true",
            help="queue tracks whose library file vanished to download again",
        )
        p.add_argument("--json", action="store_true", help="machine-readable JSON")
    elif name == "logs":
        p.add_argument("-f", "--follow", action="store_true")
        p.add_argument("--since", help="e.g. 1h, 30m, 2d")
        p.add_argument("--level", choices=["debug", "info", "warning", "error"])
        p.add_argument("--file", action="store_true", help="read the log file even under systemd")
    elif name == "follow":
        p.add_argument("url")
        p.add_argument("--every", default=None, help="poll interval, e.g. 30m, 6h, 1d (default 6h)")
        p.add_argument("--name")
        p.add_argument("--format", choices=["mp3", "m4a", "opus", "flac", "original"])
        p.add_argument("--subdir", help="file this follow's tracks under this library sub-folder")
        p.add_argument("--on-removed", choices=["keep", "delete"])
        p.add_argument(
            "--new-only",
            action="store_true",
            help="record what exists now and fetch only what appears later (for artists)",
        )
    elif name == "unfollow":
        p.add_argument("target", metavar="URL|NAME")
    elif name == "follows":
        p.add_argument("--json", action="store_true", help="machine-readable JSON")
    elif name == "sync":
        p.add_argument("names", nargs="*", metavar="NAME")
        p.add_argument(
            "--once",
            action="store_true",
            help="poll, process the queue and exit (no daemon needed)",
        )
    elif name == "auth":
        p.add_argument("service", choices=["spotify"])
        p.add_argument("--no-browser", action="store_true", help="print the URL only")
        p.add_argument("--timeout", type=float, default=300.0)
    elif name == "media-servers":
        p.add_argument("action", choices=["test"], help="test: ask each server for a scan now")
    elif name == "web":
        p.add_argument("action", nargs="?", choices=["token"], help="token: print the API token")
        p.add_argument("--rotate", action="store_true", help="with 'token': make a new token")
        p.add_argument("--no-browser", action="store_true", help="print the link only")
    elif name == "verify":
        p.add_argument("--fix", action="store_true", help="repair what can be repaired")
        p.add_argument("--json", action="store_true", help="one JSON object per line")
        p.add_argument("--jobs", type=int, help="files decoded side by side (default: cores, ≤4)")
        p.add_argument(
            "--list-unknown", type=int, default=20, metavar="N",
            help="list at most N files no track owns (default 20; --json lists all)",
        )  # fmt: skip
    elif name == "retag":
        p.add_argument("keys", nargs="*", metavar="KEY", help="track keys or links")
        p.add_argument("--all", action="store_true", help="every downloaded track")
        p.add_argument("--move", action="store_true",
                       help="move files where library.path_template puts them now")  # fmt: skip
        p.add_argument("--json", action="store_true", help="one JSON object per line")
    elif name == "ledger":
        p.add_argument("action", choices=["migrate", "copy"])
        p.add_argument("--to", metavar="URL", help="copy: the target, postgresql+psycopg://…")
    elif name == "notify":
        p.add_argument("action", choices=["test"])
    elif name == "service":
        p.add_argument("action", choices=["install", "uninstall", "status", "start", "stop"])
        p.add_argument(
            "--print",
            dest="print_only",
            action="store_true",
            help="show the unit without installing it",
        )
        p.add_argument(
            "--system", action="store_true", help="the system unit for a dedicated user (Linux)"
        )
        p.add_argument(
            "--executable", type=Path, help="the spotsyncd to run (default: this installation's)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    from spotsyncd.core.errors import (
        AlreadyRunningError,
        ConfigError,
        SpotsyncError,
        SystemProblem,
        UserError,
    )

    parser = build_parser()
    args = parser.parse_args(argv)
    module_name, _ = COMMANDS[args.command]
    try:
        module = importlib.import_module(f"spotsyncd.cli.{module_name}")
        handler = getattr(module, f"cmd_{args.command.replace('-', '_')}")
        code: int = handler(args)
        return code
    except ConfigError as exc:
        print(f"spotsyncd: config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AlreadyRunningError as exc:
        print(f"spotsyncd: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except UserError as exc:
        print(f"spotsyncd: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except SystemProblem as exc:
        return _problem(args, str(exc), exc)
    except SpotsyncError as exc:
        print(f"spotsyncd: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("spotsyncd: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        from spotsyncd.cli.boundary import describe_os_error

        return _problem(args, describe_os_error(exc), exc)
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes one line + a log entry
        from spotsyncd.cli.boundary import log_details

        where = log_details(args, exc)
        print(
            f"spotsyncd: internal error in '{args.command}' (a bug, please report it): "
            f"{type(exc).__name__}: {exc}; the details are in {where}",
            file=sys.stderr,
        )
        return EXIT_BUG


def _problem(args: argparse.Namespace, message: str, exc: BaseException) -> int:
    """An operational problem: one line naming it and the fix; the details go to the log."""
    from spotsyncd.cli.boundary import log_details

    where = log_details(args, exc)
    print(f"spotsyncd: {message} (details in {where})", file=sys.stderr)
    return EXIT_SYSTEM


if __name__ == "__main__":
    sys.exit(main())
