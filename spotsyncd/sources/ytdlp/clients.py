"""Which of yt-dlp's YouTube player clients a download asks with, and where the PO-token
provider listens: both reach yt-dlp as extractor arguments.

YouTube answers some clients with a bot check or wants a proof-of-origin (PO) token from them
while others still work, and which ones changes from month to month. So ``youtube.player_clients``
is a list of client sets: a download that meets a bot check with one set is tried at once with
the next (``PlayerClients.first_that_works``), and the set that worked is asked first from then
on, so the daemon does not pay for the broken set on every download. Only when every set failed
does the job fail with the bot check that opens the youtube circuit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from spotsyncd.core.errors import BotCheckError

# The extractor-argument namespace the bgutil PO-token provider plugin reads its server's
# address from (``youtubepot-bgutilhttp:base_url=URL``); its default is http://127.0.0.1:4416.
POT_PROVIDER_ARGS = "youtubepot-bgutilhttp"
DEFAULT_CLIENTS: tuple[tuple[str, ...], ...] = (("default",),)

T = TypeVar("T")


class PlayerClients:
    """The client sets in the order the next download tries them. Thread-safe: every worker's
    download reads it, and the first to succeed with another set moves it to the front."""

    def __init__(
        self, sets: Sequence[Sequence[str]] = DEFAULT_CLIENTS, pot_provider_url: str | None = None
    ) -> None:
        self.sets = tuple(tuple(s) for s in sets if s) or DEFAULT_CLIENTS
        self.pot_provider_url = pot_provider_url
        self._first = 0
        self._lock = threading.Lock()

    def order(self) -> list[tuple[str, ...]]:
        """Every set once, starting with the one that worked last."""
        with self._lock:
            first = self._first
        return [self.sets[(first + i) % len(self.sets)] for i in range(len(self.sets))]

    def worked(self, clients: tuple[str, ...]) -> bool:
        """``clients`` got through: ask with it first from now on. True when that is a change."""
        index = self.sets.index(clients)
        with self._lock:
            changed, self._first = self._first != index, index
        return changed

    def first_that_works(
        self,
        attempt: Callable[[tuple[str, ...]], T],
        *,
        every: bool,
        label: str,
        cancel: threading.Event | None,
        log: logging.Logger,
    ) -> T:
        """``attempt`` with each set in turn while YouTube refuses one with a bot check (only
        the first set unless ``every``: other sites ignore player clients). ``label`` names
        the download in the log lines; the last set's bot check, or a cancelled one, is raised."""
        sets = self.order() if every else self.order()[:1]
        for number, clients in enumerate(sets, start=1):
            try:
                result = attempt(clients)
            except BotCheckError as exc:
                if number == len(sets) or (cancel is not None and cancel.is_set()):
                    raise
                log.warning(
                    "%s: YouTube refused player clients %s (%s); trying %s",
                    label, describe(clients), exc.error_class, describe(sets[number]),
                )  # fmt: skip
                continue
            if len(sets) > 1 and self.worked(clients):
                log.warning(
                    "YouTube downloads now ask with player clients %s first (%s worked)",
                    describe(clients), label,
                )  # fmt: skip
            return result
        raise AssertionError("unreachable: the last set's failure is raised")

    def extractor_args(self, clients: tuple[str, ...] | None = None) -> dict[str, Any]:
        """yt-dlp's ``extractor_args`` for ``clients`` (default: the first in order)."""
        chosen = clients if clients is not None else self.order()[0]
        args: dict[str, Any] = {"youtube": {"player_client": list(chosen)}}
        if self.pot_provider_url:
            args[POT_PROVIDER_ARGS] = {"base_url": [self.pot_provider_url]}
        return args


def describe(clients: tuple[str, ...]) -> str:
    return ",".join(clients)
