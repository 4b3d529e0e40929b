"""The offline circuit: tell "this machine has no network" from "this host or track is broken".

When a job cannot reach its host at all (name resolution fails, connection refused or
unreachable: ``NetworkDownError``), the watch probes the hosts the config needs
(``network.check_urls``; DNS + a TCP connection, no request). If they fail too, several hosts
are down at once: the machine is offline. The circuit opens (one log line), the job goes back
without spending its attempt, and no job is taken until a probe gets through; probes come
``network.probe_every`` apart at first, then back off up to five times that. The first probe
that reaches a host closes the circuit (one log line) and work resumes by itself. If the other
hosts answer, only that host is down: an ordinary transient failure.

The worker that meets the ``NetworkDownError`` asks the watch (``network_down``), which it is
handed at construction; the verdict is kept in the ``offline`` circuit of ``Circuits``, where the
workers (``paused_until``), ``status`` and the alerts read it. A process without a watch (``get``,
``spotsyncd worker``) treats an unreachable host as that host's problem.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from spotsyncd.core.errors import NetworkDownError
from spotsyncd.core.retries import format_delay, hhmm
from spotsyncd.engine.resilience.circuits import Circuit, Circuits
from spotsyncd.system.netcheck import Reach, probe

log = logging.getLogger(__name__)

RECHECK_S = 5.0  # a probe that found the network up is trusted this long
MAX_BACKOFF_FACTOR = 5

Prober = Callable[[Sequence[str]], list[Reach]]
OnChange = Callable[[bool, Circuit], None]  # (now offline?, the circuit)


class OfflineWatch:
    def __init__(
        self,
        circuits: Circuits,
        check_urls: Callable[[], Sequence[str]],
        *,
        probe_every_s: Callable[[], float],
        prober: Prober = probe,
        on_change: OnChange | None = None,
    ) -> None:
        self.circuits = circuits
        self.check_urls = check_urls
        self.probe_every_s = probe_every_s
        self.prober = prober
        self.on_change = on_change or (lambda _offline, _circuit: None)
        self._decide = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_up = 0.0
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ from the workers

    def network_down(self, exc: NetworkDownError) -> float | None:
        """Is this machine offline? Returns when to look again if so (the job waits, no
        attempt spent); None if other hosts answer (the failure is the host's own)."""
        with self._decide:
            circuit = self.circuits.offline_circuit()
            if circuit is not None:
                return circuit.open_until
            now = time.time()
            if now - self._last_up < RECHECK_S:
                return None
            results = self.prober(self.check_urls())
            if not results:
                return None  # nothing to compare with: treat it as the host's problem
            if any(r.ok or not r.network_down for r in results):
                self._last_up = now
                answering = ", ".join(r.host for r in results if r.ok) or "other hosts"
                log.info(
                    "%s is unreachable but %s answer: a problem of that host, not the network",
                    exc.host or "a host",
                    answering,
                )
                return None
            next_probe = now + self.probe_every_s()
            reason = _reason(exc, results)
            # The reason starts with "offline since HH:MM": whatever shows circuits (status,
            # the web page) says so without knowing this circuit.
            self.circuits.open_offline(f"offline since {hhmm(now)}: {reason}", next_probe, now)
        log.warning(
            "offline since %s: %s; network work pauses without spending attempts and resumes "
            "by itself (next check in %s)",
            hhmm(now),
            reason,
            format_delay(next_probe - now),
        )
        self._wake.set()
        self._changed(True)
        return next_probe

    # ------------------------------------------------------------------ the probe thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="spotsyncd-offline", daemon=True)
        self._thread.start()

    def stop(self, *, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        if wait and self._thread is not None:
            self._thread.join(timeout=5)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            circuit = self.circuits.offline_circuit()
            if circuit is None:
                self._wake.wait()
                self._wake.clear()
                continue
            delay = circuit.open_until - time.time()
            if delay > 0:
                self._wake.wait(delay)
                self._wake.clear()
                continue
            try:
                self.probe_once()
            except Exception:  # noqa: BLE001 - the watch must outlive any probe bug
                log.exception("offline probe failed unexpectedly; trying again later")
                self.circuits.probe_failed(time.time() + self.probe_every_s())

    def probe_once(self) -> bool:
        """Probe now. Returns True (and closes the circuit) if a host answered."""
        circuit = self.circuits.offline_circuit()
        if circuit is None:
            return True
        results = self.prober(self.check_urls())
        up = [r for r in results if r.ok or not r.network_down]
        if not up:
            base = self.probe_every_s()
            wait = min(base * 2**circuit.failures, base * MAX_BACKOFF_FACTOR)
            self.circuits.probe_failed(time.time() + wait)
            log.debug("still offline: %s; next check in %s", _summary(results), format_delay(wait))
            return False
        closed = self.circuits.close_offline()
        self._last_up = time.time()
        if closed is not None:
            log.info(
                "online again: %s answers (offline since %s, for %s); work resumes",
                up[0].host,
                hhmm(closed.since),
                format_delay(time.time() - closed.since),
            )
            self._changed(False, closed)
        return True

    def _changed(self, offline: bool, circuit: Circuit | None = None) -> None:
        circuit = circuit or self.circuits.offline_circuit()
        if circuit is None:
            return
        try:
            self.on_change(offline, circuit)
        except Exception:  # noqa: BLE001 - a listener must not break the circuit
            log.exception("offline listener failed")


def _summary(results: Sequence[Reach]) -> str:
    return "; ".join(f"{r.host}: {r.detail}" for r in results[:4]) or "no hosts to check"


def _reason(exc: NetworkDownError, results: Sequence[Reach]) -> str:
    hosts = [exc.host] if exc.host else []
    hosts += [r.host for r in results if r.host not in hosts]
    first = results[0].detail if results else str(exc)
    return f"no network: {', '.join(hosts[:5])} unreachable ({first})"
