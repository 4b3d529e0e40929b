"""``spotsyncd verify [--fix] [--json]`` and ``spotsyncd retag [KEY…|--all] [--move]``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from, key_of, nudge_daemon, open_ledger

if TYPE_CHECKING:
    from spotsyncd.core.config import Config
    from spotsyncd.core.protocols import MetadataSource

Tick = Callable[[str, int | None], None]
LABELS = {"tracks": "checking filed tracks", "files": "looking for files no track owns"}


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Tick | None]:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    tasks: dict[str, Any] = {}
    # Lines for stdout go above the bar when both are this terminal, else straight to stdout.
    console = Console(stderr=True)
    with Progress(*columns, console=console, redirect_stdout=sys.stdout.isatty()) as bar:

        def tick(phase: str, total: int | None) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(LABELS.get(phase, phase), total=total)
            bar.advance(tasks[phase])

        yield tick


def _emit(data: dict[str, Any]) -> None:
    import json

    sys.stdout.write(json.dumps(data, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def _ffmpeg(config: Config) -> Any:
    from spotsyncd.system.tools import find_ffmpeg

    return find_ffmpeg(config.download.ffmpeg).path


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fix", action="store_true", help="repair what can be repaired")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="files decoded side by side (default: cores, ≤4)"
    )
    parser.add_argument(
        "--list-unknown", type=int, default=20, metavar="N",
        help="list at most N files no track owns (default 20; --json lists all)",
    )  # fmt: skip


def cmd_verify(args: argparse.Namespace) -> int:
    from spotsyncd.engine.health.verify import NOTES, Verifier
    from spotsyncd.media.covers import fetch_cover
    from spotsyncd.media.integrity import decode_many
    from spotsyncd.media.tags import MutagenTagger

    config = config_from(args)
    ffmpeg = _ffmpeg(config)
    ledger = open_ledger(config)
    verifier = Verifier(
        config,
        ledger,
        MutagenTagger(),
        lambda items: decode_many(ffmpeg, items),
        fix=args.fix,
        fetch_cover=lambda url: fetch_cover(url, timeout_s=config.download.timeout_seconds),
        jobs=args.jobs or min(4, os.cpu_count() or 1),
    )
    unknown = 0
    try:
        with _progress(sys.stderr.isatty() and not args.json) as tick:
            for problem in verifier.run(tick):
                if args.json:
                    _emit(problem.to_json())
                    continue
                if problem.kind in NOTES:
                    unknown += 1
                    if unknown > args.list_unknown:
                        continue
                done = "fixed: " if problem.fixed else ("--fix would: " if not args.fix else "")
                key = f" [{problem.key}]" if problem.key else ""
                print(f"{problem.kind}: {problem.path}{key}: {problem.detail}")
                print(f"    {done}{problem.fix}")
    finally:
        ledger.close()
    summary = verifier.summary
    if args.json:
        _emit({"summary": summary.to_json()})
    else:
        if unknown > args.list_unknown:
            print(f"… and {unknown - args.list_unknown} more files no track owns "
                  "(--json lists them all)")  # fmt: skip
        print(
            f"checked {summary.tracks} tracks and {summary.files} files: {summary.problems} "
            f"problems, {summary.notes} files no track owns, {summary.fixed} fixed"
        )
        if summary.problems and not args.fix:
            print("run 'spotsyncd verify --fix' to repair what can be repaired")
    if summary.requeued:
        told = nudge_daemon(config)
        if not args.json:
            where = (
                "the running daemon fetches them now"
                if told
                else ("start the daemon or run 'spotsyncd sync --once' to fetch them")
            )
            print(f"{summary.requeued} tracks queued to download again; {where}")
    return 1 if summary.problems - summary.fixed > 0 else 0


VERIFY = Command(
    "verify",
    "check every filed track and the library's files (--fix repairs)",
    _verify_arguments,
    cmd_verify,
    exits={0: "no problems, or all of them fixed", 1: "problems remain (--fix repairs some)"},
)


def _spotify(config: Config) -> MetadataSource | None:
    """Spotify's metadata when credentials allow (app or login, not the embed pages)."""
    if not config.spotify.client_id:
        return None
    from spotsyncd.sources.spotify.source import SpotifySource

    source = SpotifySource(config.spotify, config.token_cache, timeout_s=15.0)
    return source if source.mode != "embed" else None


def _retag_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("keys", nargs="*", metavar="KEY", help="track keys or links")
    parser.add_argument("--all", action="store_true", help="every downloaded track")
    parser.add_argument("--move", action="store_true",
                        help="move files where library.path_template puts them now")  # fmt: skip
    parser.add_argument(
        "--identify",
        action="store_true",
        help="also look up tracks with no identity yet, or whose fingerprint check was never "
        "made (no AcoustID key then, no answer) (MusicBrainz, AcoustID; one request a second), "
        "and write their MusicBrainz tags; resumes where a run stopped",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def cmd_retag(args: argparse.Namespace) -> int:
    from spotsyncd.core.errors import UserError
    from spotsyncd.engine.health.retag import Retagger
    from spotsyncd.media.covers import fetch_cover
    from spotsyncd.media.tags import MutagenTagger

    if not args.all and not args.keys:
        raise UserError("name the tracks to retag (KEY …) or pass --all for every filed track")
    if args.all and args.keys:
        raise UserError("give either KEYs or --all, not both")
    config = config_from(args)
    keys = None if args.all else [key_of(k) for k in args.keys]
    ledger = open_ledger(config)
    identity = None
    if args.identify:
        from spotsyncd.identity.service import identity_for

        factory = identity_for(config)
        if factory is None:
            ledger.close()
            raise UserError("--identify: musicbrainz.enabled is false and acoustid.api_key is "
                            "not set: there is nothing to look tracks up with")  # fmt: skip
        import os
        import socket

        from spotsyncd.engine.resilience.budgets import budgets_for

        # The MusicBrainz budget a running daemon and its workers share, so retag adds none
        budgets = budgets_for(lambda: config, ledger, f"retag:{socket.gethostname()}:{os.getpid()}")
        identity = factory(ledger, budgets.turn)
    retagger = Retagger(
        config,
        ledger,
        MutagenTagger(),
        fetch_cover=lambda url: fetch_cover(url, timeout_s=config.download.timeout_seconds),
        spotify=_spotify(config),
        move=args.move,
        identity=identity,
    )
    counts: dict[str, int] = {}
    seen: set[str] = set()
    try:
        total = len(keys) if keys is not None else ledger.count_filed()
        with _progress(sys.stderr.isatty() and not args.json) as tick:
            for outcome in retagger.run(keys):
                if tick is not None:
                    tick("retag", total)
                seen.add(outcome.key)
                counts[outcome.action] = counts.get(outcome.action, 0) + 1
                if args.json:
                    _emit(outcome.to_json())
                elif outcome.action != "retagged":
                    target = f" → {outcome.new_path}" if outcome.new_path else ""
                    detail = f" ({outcome.detail})" if outcome.detail else ""
                    print(f"{outcome.action.replace('_', ' ')}: {outcome.path}{target}{detail}")
    finally:
        ledger.close()
    for key in keys or ():
        if key not in seen:
            print(f"not retagged: {key} is not a downloaded track "
                  "(see 'spotsyncd tracks --state done')", file=sys.stderr)  # fmt: skip
    summary = ", ".join(f"{n} {action.replace('_', ' ')}" for action, n in sorted(counts.items()))
    if not args.json:
        print(f"retag: {summary or 'nothing to do'}")
        if counts.get("would_move"):
            print("the path template puts some files elsewhere: the same command with --move "
                  "moves them (and updates the m3u8 playlists)")  # fmt: skip
    missed = bool(keys) and len(seen) < len(keys or ())
    return 1 if counts.get("failed") or missed else 0


RETAG = Command(
    "retag",
    "rewrite tags and cover from the ledger; --move follows the path template",
    _retag_arguments,
    cmd_retag,
    exits={1: "a file could not be retagged, or a KEY is not a downloaded track"},
)
