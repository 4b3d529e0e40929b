"""``spotsyncd get LINK|"Artist - Title"|FILE.txt ...``: fetch now, in the foreground.

Without a daemon, ``get`` takes the state dir's lock and runs the daemon's own worker pool and
pipeline on the tracks it was given (``engine.oneshot``). When a daemon holds the state dir, it
hands the links over through the ledger, nudges the daemon and follows their progress from the
ledger. Either way the ledger records what is done, so nothing is fetched twice.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from spotsyncd.cli.command import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_TEMPFAIL,
    Command,
)
from spotsyncd.cli.common import AUDIO_FORMATS, config_from, nudge_daemon

if TYPE_CHECKING:
    from spotsyncd.core.config import Config
    from spotsyncd.core.models import Link, TrackMeta
    from spotsyncd.core.protocols import Adapters
    from spotsyncd.intake.playlists.reading import NamedList

POLL_S = 0.25
HOLDER_CHECK_S = 2.0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "items",
        nargs="+",
        metavar="LINK|SEARCH|FILE",
        help="a link, a search like 'Daft Punk - Veridis Quo', a link file, or a playlist file "
        "or export (M3U, XSPF, JSPF, CSV, Spotify's Playlist1.json, YourLibrary.json or their zip)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per finished track")
    parser.add_argument(
        "--format", choices=AUDIO_FORMATS, help="audio format for this run (default: audio.format)"
    )
    parser.add_argument("--bitrate", help="128k, 192k, 256k, 320k or v0 (this run only)")
    parser.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        help="file the tracks under DIR instead of the library (this run only)",
    )
    parser.add_argument(
        "--defer-after",
        default="2m",
        metavar="DURATION",
        help="stop waiting for a track kept waiting this long (offline, a bot check, a rate "
        "limit) and report it deferred; exit code 75 when that is all that is left "
        "(default: 2m; e.g. 30s, 10m)",
    )


def cmd_get(args: argparse.Namespace) -> int:
    return run_get(args)


GET = Command(
    "get",
    "fetch links, searches, link files or playlist files now, with progress bars",
    _arguments,
    cmd_get,
    exits={
        EXIT_OK: "every track is in the library",
        EXIT_FAILED: "a track failed or an item was refused (see the lines above)",
        EXIT_LOCKED: "a 'get' or 'sync --once' (not the daemon) is working on the state dir: "
        "wait for it to finish",
        EXIT_TEMPFAIL: "nothing failed, but tracks were put off (offline, a bot check or a rate "
        "limit kept them waiting longer than --defer-after): they stay queued; run 'get' again "
        "later or let the daemon finish them",
    },
)


def run_get(
    args: argparse.Namespace, *, adapters_factory: Callable[[Config], Adapters] | None = None
) -> int:
    """``get`` itself; tests hand in ``adapters_factory`` to point the searchers elsewhere."""
    from spotsyncd.cli.get_view import make_view
    from spotsyncd.core.config import prepare_dirs
    from spotsyncd.core.errors import UserError
    from spotsyncd.engine.jobs.oneshot import Tracker
    from spotsyncd.ledger import Ledger
    from spotsyncd.system.lock import InstanceLock
    from spotsyncd.system.logsetup import setup_logging

    config = config_from(args)
    options = _options(args)
    defer_after_s = _defer_after(args.defer_after)
    links, refused, inputs = _read_inputs(args.items)
    if not links:
        raise UserError("nothing to get: every item was refused (see above)")
    prepare_dirs(config)
    lock = InstanceLock(config.state_dir)
    daemon_pid = _take_or_find_daemon(lock, config)
    if daemon_pid is None:  # the work runs here: log it (to the file; the terminal has the bars)
        setup_logging(config, to_stderr=False)
    ledger = Ledger(config.ledger_path)
    try:
        metas = [inputs.metas.get(link.key) for link in links] if inputs.metas else None
        added = ledger.add_links(links, metas=metas, options=options or None)
        for listed in inputs.lists:  # a playlist file's playlists: collections with an .m3u8
            ledger.save_collection(listed.name, listed.keys, origin=listed.origin)
        tracker = Tracker(
            ledger,
            [a.track_id for a in added],
            config.library_dir,
            circuits_file=config.state_dir / "circuits.json",
            defer_after_s=defer_after_s,
        )
        view = make_view(json_lines=args.json)
        first = tracker.poll()
        if first.finished:  # all done before: say so at once, without starting anything
            view.start(first)
            view.stop(first)
            code = _outcome(first, daemon=daemon_pid is not None)
        elif daemon_pid is not None:
            code = _follow_daemon(config, tracker, view, daemon_pid)
        else:
            code = _run_here(config, ledger, tracker, view, adapters_factory)
    finally:
        ledger.close()
        lock.release()
    return EXIT_FAILED if refused and code == EXIT_OK else code


def _defer_after(text: str) -> float:
    from spotsyncd.core import config_values
    from spotsyncd.core.errors import UserError

    try:
        seconds = config_values.seconds_of(text)
    except ValueError as exc:
        raise UserError(f"--defer-after: {exc}") from None
    if seconds < 1:
        raise UserError(f"--defer-after: must be at least 1 second, got {text!r}")
    return seconds


def _outcome(snapshot: Any, *, daemon: bool) -> int:
    """The exit code for a finished run: 0 all done, 1 any failed, 75 the rest put off (with
    a last line saying why and what happens next)."""
    from spotsyncd.core.wording import counted

    if snapshot.count("failed"):
        return EXIT_FAILED
    put_off = [item for item in snapshot.tracks if item.state == "deferred"]
    if not put_off:
        return EXIT_OK if snapshot.count("done") == snapshot.total else EXIT_FAILED
    why = put_off[0].waiting or put_off[0].error or "a service asked to wait"
    one = len(put_off) == 1
    them, stay = ("it", "it stays") if one else ("them", "they stay")
    later = (
        f"{stay} queued and the daemon finishes {them} when it can"
        if daemon
        else f"{stay} queued: run 'spotsyncd get' again later or start the daemon to finish {them}"
    )
    print(
        f"spotsyncd: {counted(len(put_off), 'track')} put off ({why}); {later}; exit code 75 "
        "(try again later)",
        file=sys.stderr,
    )
    return EXIT_TEMPFAIL


def _options(args: argparse.Namespace) -> dict[str, Any]:
    from spotsyncd.core import config_values
    from spotsyncd.core.errors import UserError

    options: dict[str, Any] = {}
    if args.format:
        options["format"] = args.format
    if args.bitrate:
        try:
            options["bitrate"] = config_values.bitrate(args.bitrate)
        except ValueError as exc:
            raise UserError(f"--bitrate: {exc}") from None
    if args.output:
        output = args.output.expanduser().absolute()
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--output: cannot create {output}: {exc.strerror}") from None
        options["output_dir"] = str(output.resolve())
    return options


class _Inputs:
    """What files said besides their links: a playlist file's metadata and playlists."""

    def __init__(self) -> None:
        self.metas: dict[str, TrackMeta] = {}
        self.lists: list[NamedList] = []


def _read_inputs(items: list[str]) -> tuple[list[Link], int, _Inputs]:
    """Links from the arguments: a link or playlist file's entries, or the argument as one
    line."""
    from spotsyncd.core.errors import LinkError
    from spotsyncd.intake.inbox import read_inbox_file
    from spotsyncd.intake.links import LinkFileError, parse_line

    links: list[Link] = []
    inputs = _Inputs()
    refused = 0
    for item in items:
        path = Path(item).expanduser()
        if "://" not in item and path.is_file():
            lists: list[NamedList] = []
            try:
                for line in read_inbox_file(path, lists):
                    if line.link is not None and not line.link.follow:
                        links.append(line.link)
                        if line.meta is not None:
                            inputs.metas[line.link.key] = line.meta
                    else:
                        reason = line.error or "use 'spotsyncd follow URL' to follow"
                        _refuse(f"{path}:{line.line_no}: {line.text}", reason)
                        refused += 1
            except LinkFileError as exc:
                _refuse(str(path), str(exc))
                refused += 1
            for listed in lists:
                listed.origin = path.name
            inputs.lists += lists
            continue
        try:
            link = parse_line(item)
        except LinkError as exc:
            _refuse(item, str(exc))
            refused += 1
            continue
        if link.follow:
            _refuse(item, "use 'spotsyncd follow URL' to follow")
            refused += 1
            continue
        links.append(link)
    return list({link.key: link for link in links}.values()), refused, inputs


def _refuse(what: str, reason: str) -> None:
    print(f"spotsyncd: refused {what}: {reason}", file=sys.stderr)


def _take_or_find_daemon(lock: Any, config: Config) -> int | None:
    """Hold the state dir ourselves (None), or return the PID of the daemon that holds it."""
    from spotsyncd.core.errors import AlreadyRunningError
    from spotsyncd.system.lock import holder_pid

    try:
        lock.acquire()
        return None
    except AlreadyRunningError:
        pid = holder_pid(config.state_dir)
        if pid and pid > 0 and _runtime_pid(config) == pid:
            return pid
        raise AlreadyRunningError(
            f"another spotsyncd (pid {pid if pid and pid > 0 else 'unknown'}) is working on "
            f"{config.state_dir} without being the daemon (a 'get' or 'sync --once'); "
            "wait for it to finish, then run this again"
        ) from None


def _runtime_pid(config: Config) -> int | None:
    import json

    try:
        data = json.loads((config.state_dir / "runtime.json").read_text(encoding="utf-8"))
        return int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _run_here(
    config: Config,
    ledger: Any,
    tracker: Any,
    view: Any,
    adapters_factory: Callable[[Config], Adapters] | None,
) -> int:
    from spotsyncd.core.wording import counted
    from spotsyncd.engine.jobs.oneshot import ForegroundRun
    from spotsyncd.engine.wiring import build_adapters

    run = ForegroundRun(config, ledger, set(tracker.roots), adapters_factory or build_adapters)
    with _signals(on_nudge=run.pool.wake):
        try:
            run.start()
            view.start(tracker.poll())
            snapshot = _watch(tracker, view, lambda: True)
        except KeyboardInterrupt:
            left = run.stop()
            view.stop(tracker.poll())
            print(
                f"spotsyncd: interrupted; {counted(len(left), 'unfinished track')} "
                f"{'stays' if len(left) == 1 else 'stay'} queued "
                "(run 'spotsyncd get' again or start the daemon to finish them)",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        run.stop()
    view.stop(snapshot)
    return _outcome(snapshot, daemon=False)


def _follow_daemon(config: Config, tracker: Any, view: Any, pid: int) -> int:
    from spotsyncd.system.lock import holder_pid

    nudge_daemon(config)
    print(
        f"spotsyncd: the daemon (pid {pid}) fetches these; following its progress", file=sys.stderr
    )
    checked = [time.monotonic()]

    def daemon_alive() -> bool:
        if time.monotonic() - checked[0] < HOLDER_CHECK_S:
            return True
        checked[0] = time.monotonic()
        return holder_pid(config.state_dir) == pid

    with _signals(on_nudge=None):
        try:
            view.start(tracker.poll())
            snapshot = _watch(tracker, view, daemon_alive)
        except KeyboardInterrupt:
            view.stop(tracker.poll())
            print("spotsyncd: stopped following; the daemon carries on", file=sys.stderr)
            return EXIT_INTERRUPTED
    view.stop(snapshot)
    if not snapshot.finished:
        print(
            "spotsyncd: the daemon stopped before these finished; run 'spotsyncd get' again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return _outcome(snapshot, daemon=True)


def _watch(tracker: Any, view: Any, keep_going: Callable[[], bool]) -> Any:
    while True:
        snapshot = tracker.poll()
        view.update(snapshot)
        if snapshot.finished or not keep_going():
            return snapshot
        time.sleep(POLL_S)


class _signals:
    """SIGTERM stops like Ctrl-C; SIGUSR1 (another command's nudge) must not kill ``get``."""

    def __init__(self, on_nudge: Callable[[], None] | None) -> None:
        self.on_nudge = on_nudge
        self.saved: dict[int, Any] = {}

    def __enter__(self) -> None:
        import signal

        self.saved[signal.SIGTERM] = signal.signal(signal.SIGTERM, _interrupt)
        if hasattr(signal, "SIGUSR1"):
            nudge = self.on_nudge
            self.saved[signal.SIGUSR1] = signal.signal(
                signal.SIGUSR1, lambda *_: nudge() if nudge else None
            )

    def __exit__(self, *exc: object) -> None:
        import signal

        for number, handler in self.saved.items():
            signal.signal(number, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
