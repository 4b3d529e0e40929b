"""A watch that runs in the background of the daemon: a daemon thread calling ``round`` after
``first_after_s`` and then every ``every_s()`` seconds until ``stop``. A round that raises is
logged with ``problem`` (no traceback for an operational failure) and the watch goes on: a
watch must never stop the daemon."""

from __future__ import annotations

import logging
import threading

from spotsyncd.core.errors import log_problem


class Background:
    name = "spotsyncd-watch"  # the thread's name
    problem = "a background check failed; trying again later"

    def __init__(self, logger: logging.Logger, first_after_s: float) -> None:
        self._log = logger
        self._first_after_s = first_after_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def every_s(self) -> float:
        raise NotImplementedError

    def round(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def alive(self) -> bool:
        return self._thread is None or self._thread.is_alive()

    def _loop(self) -> None:
        wait = self._first_after_s
        while not self._stop.wait(wait):
            try:
                self.round()
            except Exception as exc:  # noqa: BLE001 - a watch must never stop the daemon
                log_problem(self._log, self.problem, exc)
            wait = self.every_s()
