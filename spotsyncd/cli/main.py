"""``spotsyncd``: argument parsing and the one error boundary.

Each verb is a ``Command`` declared in its own module (``spotsyncd/cli/<group>.py``) next to its
handler; ``COMMANDS`` lists them. Those modules import only the standard library until a handler
runs, so ``spotsyncd --help`` stays fast. ``python -m spotsyncd.cli.reference`` writes the CLI
reference from the same declarations.

Exit codes: 0 ok · 1 the operation failed or found problems · 2 bad config or usage · 3 another
daemon holds the state dir · 4 the system is in the way (ledger locked, corrupt or read-only, disk
full, permission denied, server unreachable) · 70 internal error (a bug) · 130 interrupted. An
operational problem is one line naming it and the fix; the details go to the log file. Only a bug
says "internal error", and its traceback goes to the log file too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from spotsyncd.cli import (
    auth,
    care,
    config_cmd,
    doctor,
    extractors_cmd,
    follow,
    get,
    inspect,
    ledger_cmd,
    logs,
    media_servers,
    notify_cmd,
    queue,
    run,
    service_cmd,
    web,
    worker_cmd,
)
from spotsyncd.cli.command import (
    EXIT_BUG,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_SYSTEM,
    Command,
)

# Every verb, in the order ``spotsyncd --help`` lists them; each is declared in its own module.
COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        run.RUN,
        worker_cmd.WORKER,
        queue.ADD,
        get.GET,
        inspect.STATUS,
        inspect.TRACKS,
        inspect.WHY,
        inspect.REPORT,
        queue.RETRY,
        queue.MATCH,
        queue.ACCEPT,
        config_cmd.CONFIG,
        doctor.DOCTOR,
        logs.LOGS,
        follow.FOLLOW,
        follow.UNFOLLOW,
        follow.FOLLOWS,
        follow.SYNC,
        auth.AUTH,
        service_cmd.SERVICE,
        media_servers.MEDIA_SERVERS,
        web.WEB,
        care.VERIFY,
        care.RETAG,
        ledger_cmd.LEDGER,
        notify_cmd.NOTIFY,
        extractors_cmd.EXTRACTORS,
    )
}
EXIT_CODES = (
    "Exit codes: 0 ok, 1 failed/problems found, 2 bad config or usage, "
    "3 another daemon runs on this state dir, 4 the system is in the way (ledger locked, "
    "corrupt or read-only, disk full, permission denied, server unreachable), "
    "70 internal error (a bug), 130 interrupted."
)


def build_parser() -> argparse.ArgumentParser:
    from spotsyncd import __version__

    parser = argparse.ArgumentParser(
        prog="spotsyncd",
        description="Keep a local music library in sync with links, playlists and feeds.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"spotsyncd {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="config file (default: $SPOTSYNCD_CONFIG or the user config dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        command.register(sub)
    return parser


def entry() -> None:
    """The ``spotsyncd`` command and ``python -m spotsyncd``: ``main`` in a process of its own,
    which ``run`` and ``worker`` end themselves as soon as they have stopped
    (``run.end_process``)."""
    sys.exit(main(own_process=True))


def main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """Parse ``argv`` and run the verb; its exit code. Callable in-process (tests, scripts):
    only with ``own_process`` may a verb end the process itself."""
    from spotsyncd.core.errors import (
        AlreadyRunningError,
        ConfigError,
        SpotsyncError,
        SystemProblem,
        UserError,
    )

    parser = build_parser()
    args = parser.parse_args(argv)
    args.own_process = own_process
    try:
        return COMMANDS[args.command].handler(args)
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
    entry()
