"""What a sub-command is: its name, help, arguments, handler and the exit codes it can return.

Each command module declares its ``Command`` values next to their handlers; ``main`` lists them,
builds the parser from them and calls the handler; ``reference`` writes the CLI reference from the
same values. Command modules import only the standard library and this module at import time
(everything else inside the handlers), so building the whole parser for ``--help`` stays cheap.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_SYSTEM, EXIT_BUG, EXIT_TEMPFAIL = 4, 70, 75
TEMPFAIL_EXIT = (
    "work left undone for now because the machine is offline (sysexits' EX_TEMPFAIL): "
    "nothing failed; run it again later (a cron job or systemd timer should retry)"
)

# What every verb's exit codes mean unless the verb says more about its own 0, 1 or 3.
COMMON_EXITS: Mapping[int, str] = {
    EXIT_OK: "done",
    EXIT_FAILED: "the operation failed; the message says why and what to do",
    EXIT_CONFIG: "bad configuration or usage",
    EXIT_SYSTEM: "the system is in the way (ledger locked, corrupt or read-only, disk full, "
    "permission denied, server unreachable)",
    EXIT_BUG: "internal error (a bug; the details are in the log file)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}
LOCKED_EXIT = "another spotsyncd holds the state dir: stop it first, or wait for it to finish"

Arguments = Callable[[argparse.ArgumentParser], None]
Handler = Callable[[argparse.Namespace], int]


class Command(NamedTuple):
    """One verb: ``spotsyncd NAME …`` parsed by ``arguments`` and run by ``handler``.

    A NamedTuple rather than a frozen dataclass: ``dataclasses`` imports ``inspect``, which would
    add about 14 ms of CPU to every ``spotsyncd --help``."""

    name: str
    help: str  # one line, shown in ``spotsyncd --help`` and at the top of ``NAME --help``
    arguments: Arguments
    handler: Handler
    exits: Mapping[int, str] = {}  # read only: this verb's own meaning of a code

    def exit_codes(self) -> dict[int, str]:
        """Every code this verb can return, with what it means for this verb."""
        return dict(sorted({**COMMON_EXITS, **self.exits}.items()))

    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        parser = subparsers.add_parser(self.name, help=self.help, description=self.help)
        parser.add_argument(
            "--config",
            type=Path,
            metavar="PATH",
            default=argparse.SUPPRESS,
            help="config file (default: $SPOTSYNCD_CONFIG or the user config dir)",
        )
        self.arguments(parser)
