"""The daemon's side of ``extractors.auto_update``: a thread that looks for a newer yt-dlp a
little after start and then every ``extractors.check_every``; with ``notify`` it tells, with
``install`` it also updates (install, try, switch). Every few seconds it turns switches and
rollbacks made elsewhere (a worker's probation, the CLI) into events."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from spotsyncd.core.background import Background
from spotsyncd.core.config import Config
from spotsyncd.core.errors import SpotsyncError
from spotsyncd.extractors.updater import Updater
from spotsyncd.ledger import Ledger
from spotsyncd.sources.ytdlp.releases import is_newer

log = logging.getLogger(__name__)

TICK_S = 5.0
FIRST_CHECK_AFTER_S = 120.0  # after the start-up's own work, not competing with it


class ExtractorWatch(Background):
    name = "spotsyncd-yt-dlp"
    problem = "yt-dlp update check failed; trying again later"

    def __init__(
        self,
        config: Callable[[], Config],
        ledger: Ledger,
        *,
        first_check_after_s: float = FIRST_CHECK_AFTER_S,
        tick_s: float = TICK_S,
    ) -> None:
        super().__init__(log, tick_s)
        self.config = config
        self.ledger = ledger
        self.tick_s = tick_s
        self._next_check = time.time() + first_check_after_s

    def every_s(self) -> float:
        return self.tick_s

    def round(self) -> None:
        self.tick()

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        config = self.config()
        updater = Updater(config, self.ledger)
        updater.announce()
        mode = config.extractors.auto_update
        if mode == "false" or now < self._next_check:
            return
        self._next_check = now + config.extractors.check_every_s
        try:
            newest = updater.check()
        except SpotsyncError as exc:
            log.info("could not look for a newer yt-dlp: %s", exc)
            return
        in_use = updater.status()["version"]
        if mode == "install" and in_use and is_newer(newest, in_use):
            if updater.refused(newest):
                log.debug("yt-dlp %s was refused before; waiting for a newer one", newest)
                return
            updater.update(newest)
