"""``spotsyncd add``, ``retry`` and ``match``: put work into the ledger."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from, nudge_daemon, open_ledger, track_key_of

if TYPE_CHECKING:
    from spotsyncd.core.config import Config


def _after_queueing(config: Config, count: int) -> None:
    if not count:
        return
    if nudge_daemon(config):
        print("the running daemon was told to start now")
    else:
        print(
            "no daemon is running: start it with 'spotsyncd run', or process the queue once "
            "with 'spotsyncd sync --once'"
        )


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "urls",
        nargs="+",
        metavar="URL",
        help="links to tracks, albums or playlists (Spotify, YouTube, any yt-dlp site); "
        "to follow one for new tracks, use 'spotsyncd follow'",
    )


def cmd_add(args: argparse.Namespace) -> int:
    from spotsyncd.core.errors import LinkError
    from spotsyncd.intake.links import parse_line

    config = config_from(args)
    links, bad = [], 0
    for url in args.urls:
        try:
            link = parse_line(url)
        except LinkError as exc:
            print(f"refused {url}: {exc}", file=sys.stderr)
            bad += 1
            continue
        if link.follow:
            print(f"refused {url}: use 'spotsyncd follow URL' to follow", file=sys.stderr)
            bad += 1
            continue
        links.append(link)
    ledger = open_ledger(config)
    try:
        added = ledger.add_links(links) if links else []
    finally:
        ledger.close()
    queued = 0
    for item in added:
        if item.created or item.requeued:
            queued += 1
            print(f"queued {item.key}")
        else:
            print(f"already {item.state}: {item.key}")
    _after_queueing(config, queued)
    return 1 if bad else 0


ADD = Command(
    "add",
    "queue links now (the daemon picks them up)",
    _add_arguments,
    cmd_add,
    exits={0: "every link is queued or already known", 1: "a link was refused (see stderr)"},
)


def _retry_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "keys",
        nargs="*",
        metavar="KEY",
        help="track keys (spotify:track:…, youtube:…), their links or searches as typed",
    )
    parser.add_argument(
        "--failed",
        action="store_true",
        help="every failed track, but not what a follow set aside (a podcast's older "
        "episodes, a --new-only follow's old items): name those by KEY",
    )


def cmd_retry(args: argparse.Namespace) -> int:
    from spotsyncd.core.errors import UserError

    config = config_from(args)
    if not args.keys and not args.failed:
        raise UserError("name the tracks to retry (KEY …) or pass --failed for every failed one")
    ledger = open_ledger(config)
    try:
        keys = [track_key_of(k) for k in args.keys]
        count = ledger.retry(keys, failed=args.failed)
    finally:
        ledger.close()
    from spotsyncd.core.wording import counted

    print(f"{counted(count, 'track')} queued again")
    _after_queueing(config, count)
    return 0 if count or args.failed else 1


RETRY = Command(
    "retry",
    "queue failed tracks again",
    _retry_arguments,
    cmd_retry,
    exits={
        0: "tracks were queued again (with --failed: also when none had failed)",
        1: "none of the KEYs is a failed or queued track, or no KEY and no --failed",
    },
)


def _match_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", help="the track: its key (spotify:track:…) or its link")
    parser.add_argument("url", help="the audio to use for it: a YouTube or other http(s) link")


def cmd_match(args: argparse.Namespace) -> int:
    from spotsyncd.core.errors import UserError
    from spotsyncd.intake.links import parse_link

    config = config_from(args)
    audio = parse_link(args.url)  # validates: http(s) only, no local files
    ledger = open_ledger(config)
    try:
        key = track_key_of(args.key)
        track = ledger.set_override(key, audio.url)
    finally:
        ledger.close()
    if track is None:
        raise UserError(f"no track {args.key} in the ledger; add its link first")
    print(f"{track.key} will use {audio.url}; queued again")
    _after_queueing(config, 1)
    return 0


MATCH = Command(
    "match",
    "use this audio URL for a Spotify track and run it again",
    _match_arguments,
    cmd_match,
    exits={0: "the track uses URL and is queued again", 1: "no such track, or URL is refused"},
)


def _accept_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", help="the track in review: its key (spotify:track:…) or its link")
    parser.add_argument(
        "url",
        nargs="?",
        help="the candidate to file (see 'spotsyncd why KEY'); default: the matcher's first",
    )


def cmd_accept(args: argparse.Namespace) -> int:
    from spotsyncd.core.errors import UserError
    from spotsyncd.intake.links import parse_link

    config = config_from(args)
    url = parse_link(args.url).url if args.url else None
    ledger = open_ledger(config)
    try:
        track = ledger.accept_review(track_key_of(args.key), url)
    finally:
        ledger.close()
    if track is None:
        raise UserError(f"no track {args.key} in the ledger")
    print(f"{track.key} will be filed with {track.override_url} as you accepted; queued again")
    _after_queueing(config, 1)
    return 0


ACCEPT = Command(
    "accept",
    "file a track in review anyway (its audio is not the recording asked for)",
    _accept_arguments,
    cmd_accept,
    exits={0: "the track is queued again with the accepted audio",
           1: "no such track, it is not in review, or URL is refused"},
)  # fmt: skip
