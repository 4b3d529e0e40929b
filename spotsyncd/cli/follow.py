"""``spotsyncd follow``, ``unfollow``, ``follows`` and ``sync``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from spotsyncd.cli.command import EXIT_LOCKED, EXIT_TEMPFAIL, LOCKED_EXIT, TEMPFAIL_EXIT, Command
from spotsyncd.cli.common import (
    AUDIO_FORMATS,
    NORMALIZE,
    ON_REMOVED,
    config_from,
    key_of,
    nudge_daemon,
    open_ledger,
    print_json,
)


def _follow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "url",
        help="a playlist, album, artist, channel or feed link (Spotify, YouTube, "
        "any yt-dlp site, RSS/Atom)",
    )
    parser.add_argument(
        "--every", default=None, help="poll interval, e.g. 30m, 6h, 1d (default: poll_every, 6h)"
    )
    parser.add_argument(
        "--name",
        help="what 'unfollow', 'sync' and its .m3u8 playlist call it "
        "(default: the title its source gives)",
    )
    parser.add_argument(
        "--format", choices=AUDIO_FORMATS, help="audio format of its tracks (default: audio.format)"
    )
    parser.add_argument("--subdir", help="file this follow's tracks under this library sub-folder")
    parser.add_argument(
        "--on-removed",
        choices=ON_REMOVED,
        help="what to do with the files of tracks the source no longer lists (default: keep)",
    )
    parser.add_argument(
        "--normalize",
        choices=NORMALIZE,
        help="loudness handling of its tracks; speech often wants off (default: audio.normalize)",
    )
    parser.add_argument(
        "--keep-last",
        type=int,
        metavar="N",
        help="feeds: keep the newest N episodes, removing older files spotsyncd made",
    )
    parser.add_argument(
        "--since",
        metavar="DATE|all",
        help="feeds: fetch episodes published on or after DATE (YYYY-MM-DD), or all of them "
        "(default: the newest 10, then every new one)",
    )
    parser.add_argument(
        "--new-only",
        action="store_true",
        help="record what exists now and fetch only what appears later (for artists)",
    )


def cmd_follow(args: argparse.Namespace) -> int:
    from spotsyncd.core.config import parse_duration
    from spotsyncd.core.errors import UserError
    from spotsyncd.follows.service import follow_options, followable
    from spotsyncd.intake.links import parse_line

    config = config_from(args)
    link = followable(parse_line(args.url))
    try:
        every = parse_duration(args.every) if args.every else config.poll_every_s
    except ValueError as exc:
        raise UserError(f"--every: {exc}") from None
    options: dict[str, Any] = {}
    if args.format:
        options["format"] = args.format
    if args.subdir:
        options["subdir"] = args.subdir
    if args.on_removed:
        options["on_removed"] = args.on_removed
    if args.new_only:
        options["new_only"] = True
    options.update(_feed_options(args))
    options = follow_options(link, options)
    ledger = open_ledger(config)
    try:
        row = ledger.add_follow(
            link, name=args.name, interval_s=every, options=options, origin="cli"
        )
    finally:
        ledger.close()
    every_s = _duration(row.interval_s)
    if args.name is None and row.last_poll_at is None:  # a name made from the URL, for now
        print(f"following {row.url}, every {every_s}; its first poll names it after its title "
              f"(until then: '{row.name}'; 'spotsyncd unfollow {row.url}' works whatever "
              "its name)")  # fmt: skip
    else:
        print(f"following {row.url} as '{row.name}', every {every_s}")
    if nudge_daemon(config):
        print("the running daemon polls it shortly")
    else:
        print("no daemon is running: 'spotsyncd run' polls it, or 'spotsyncd sync --once' now")
    return 0


def _feed_options(args: argparse.Namespace) -> dict[str, Any]:
    """--normalize, --keep-last and --since, checked as the config checks them."""
    from spotsyncd.core.config_fields import KeyProblem
    from spotsyncd.core.config_follows import follow_options as checked
    from spotsyncd.core.errors import UserError

    given = {"normalize": args.normalize, "keep_last": args.keep_last, "since": args.since}
    try:
        return checked({k: v for k, v in given.items() if v is not None})
    except KeyProblem as exc:
        raise UserError(f"--{exc.key.replace('_', '-')}: {exc}") from None


FOLLOW = Command(
    "follow",
    "follow a playlist, album, artist, channel or feed",
    _follow_arguments,
    cmd_follow,
    exits={1: "the link cannot be followed, or --every or --name is refused"},
)


def _unfollow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="URL|NAME", help="the follow's link or its name")


def cmd_unfollow(args: argparse.Namespace) -> int:
    from spotsyncd.core.errors import UserError

    config = config_from(args)
    target = key_of(args.target)
    ledger = open_ledger(config)
    try:
        removed = ledger.remove_follow(target)
    finally:
        ledger.close()
    if not removed:
        raise UserError(f"no follow named or at {args.target} (see 'spotsyncd follows')")
    print(f"unfollowed {args.target}; its files stay in the library")
    nudge_daemon(config)
    return 0


UNFOLLOW = Command(
    "unfollow",
    "stop following",
    _unfollow_arguments,
    cmd_unfollow,
    exits={1: "no follow has that link or name"},
)


def _duration(seconds: float) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400:.0f}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600:.0f}h"
    return f"{seconds / 60:.0f}m"


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "never"


def _follows_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON")


def cmd_follows(args: argparse.Namespace) -> int:
    config = config_from(args)
    ledger = open_ledger(config)
    try:
        rows = ledger.follows()
    finally:
        ledger.close()
    if args.json:
        print_json([row.to_json() for row in rows])
        return 0
    if not rows:
        print("no follows yet: spotsyncd follow URL [--every 6h] [--name NAME]")
    for row in rows:
        print(f"{row.name} ({row.kind}, every {_duration(row.interval_s)}): {row.url}")
        print(
            f"    tracks: {row.tracks_known} listed, {row.tracks_done} done, "
            f"{row.tracks_failed} failed, {row.tracks_absent} no longer listed"
        )
        print(
            f"    last poll {_when(row.last_poll_at)}, last change {_when(row.last_change_at)}, "
            f"next poll {_when(row.next_poll_at)}"
        )
        if row.error:
            print(f"    last error ({row.error_class}, {row.failures}×): {row.error}")
    return 0


FOLLOWS = Command("follows", "list follows", _follows_arguments, cmd_follows)


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="the follows to poll (default: every follow)"
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="poll, process the queue and exit (no daemon needed)",
    )


def cmd_sync(args: argparse.Namespace) -> int:
    from spotsyncd.follows.service import request_poll

    config = config_from(args)
    if not args.once:
        from spotsyncd.core.config import prepare_dirs

        prepare_dirs(config)
        request_poll(config.state_dir, list(args.names))
        if nudge_daemon(config):
            print("the running daemon polls " + (", ".join(args.names) or "every follow") + " now")
            return 0
        print("no daemon is running: polling once here", file=sys.stderr)
    from spotsyncd.cli.run import say_if_left_undone
    from spotsyncd.engine.daemon import Daemon
    from spotsyncd.system.logsetup import setup_logging

    setup_logging(config)
    code = Daemon(config, config_path=getattr(args, "config", None)).run(
        once=True, follow_names=args.names
    )
    say_if_left_undone(code)
    return code


SYNC = Command(
    "sync",
    "poll follows now (--once: poll, download, exit)",
    _sync_arguments,
    cmd_sync,
    exits={
        0: "the daemon was told to poll, or the poll (and with --once, the queue) finished",
        EXIT_LOCKED: LOCKED_EXIT,
        EXIT_TEMPFAIL: TEMPFAIL_EXIT,
    },
)
