"""The offline watch: tell "this machine has no network" from "this host or track is broken",
host by host.

When a job cannot reach its host at all (name resolution fails, connection refused or
unreachable: ``NetworkDownError``), the watch probes that host (the one the error names and the
job's own) together with the hosts the config needs (``network.check_urls``; DNS + a TCP
connection, no request):

- one of them answers: only that host is down (or it was a blip), an ordinary transient failure;
- none answers: those hosts are cut off. The job goes back without spending an attempt, and so
  does every job whose host is among them: the worker pool claims only jobs whose host is not
  known to be cut off (``held_hosts``), so a loopback or LAN host that answers keeps working
  while the rest waits. When nothing has got through lately either, the machine is offline: the
  ``offline`` circuit opens (one log line; ``status``, ``get``, the alerts read it).

Probes of the cut-off hosts and the check hosts come ``network.probe_every`` apart, backing off
up to five times that. The circuit closes as soon as any work gets through: a probe that reaches
a host, or a job that reaches its own (``got_through``). A check host that answers ends every
wait (the network is back: a host still down is that host's own problem, retried as usual); a
cut-off host that answers frees its own jobs. A process without a watch (``get`` with no
daemon, ``spotsyncd worker``) treats an unreachable host as that host's problem.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from spotsyncd.core.errors import NetworkDownError
from spotsyncd.core.retries import format_delay, hhmm
from spotsyncd.engine.resilience.circuits import Circuit, Circuits
from spotsyncd.system.netcheck import Reach, host_port, probe

log = logging.getLogger(__name__)

RECHECK_S = 5.0  # a probe that found the network up is trusted this long
MAX_BACKOFF_FACTOR = 5

Prober = Callable[[Sequence[str]], list[Reach]]
OnChange = Callable[[bool, Circuit], None]  # (now offline?, the circuit)


def host_key(url_or_host: str) -> str:
    """``host:port`` of a URL or of a bare ``host[:port]`` (HTTPS's port when none is given),
    as probes name hosts; "" for anything that is not a web address (a key, a path)."""
    if not url_or_host:
        return ""
    if "://" in url_or_host:
        if not url_or_host.startswith(("http://", "https://")):
            return ""
        url = url_or_host
    else:
        url = f"https://{url_or_host}"
    try:
        host, port = host_port(url)
    except ValueError:
        return ""
    return f"{host}:{port}"  # as ``Reach.host`` names it


def _probe_url(key: str) -> str:
    """The URL a probe of ``host:port`` connects to."""
    host, _, port = key.rpartition(":")
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if port == '443' else 'http'}://{shown}:{port}/"


class OfflineWatch:
    def __init__(
        self,
        circuits: Circuits,
        check_urls: Callable[[], Sequence[str]],
        *,
        probe_every_s: Callable[[], float],
        prober: Prober = probe,
        on_change: OnChange | None = None,
        on_back: Callable[[], None] | None = None,
        recheck_s: float = RECHECK_S,
    ) -> None:
        """``on_change`` is told when the offline circuit opens or closes; ``on_back`` when
        waiting jobs may go on (a cut-off host or the network came back); ``recheck_s``: how
        long a probe that found the check hosts up is trusted."""
        self.circuits = circuits
        self.check_urls = check_urls
        self.probe_every_s = probe_every_s
        self.prober = prober
        self.on_change = on_change or (lambda _offline, _circuit: None)
        self.on_back = on_back or (lambda: None)
        self._decide = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.recheck_s = recheck_s
        self._last_up = 0.0
        self._got_through_at = 0.0
        self._down: dict[str, float] = {}  # cut-off host → since when
        self._next_probe = 0.0
        self._failures = 0  # probes in a row that found every host still down
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ from the workers

    def network_down(self, exc: NetworkDownError, *, job_host: str = "") -> float | None:
        """Is the way to this job's host cut off? Returns when to look again if so (the job
        waits, no attempt spent); None if its host or the check hosts answer (the failure is
        the host's own, or a blip)."""
        hosts = list(dict.fromkeys(h for h in (host_key(exc.host), host_key(job_host)) if h))
        with self._decide:
            now = time.time()
            if hosts and all(h in self._down for h in hosts):
                return max(self._next_probe, now + 1.0)  # known cut off: the next probe
            circuit = self.circuits.offline_circuit()
            if circuit is not None and not hosts:
                return max(circuit.open_until, now + 1.0)
            if now - self._last_up < self.recheck_s:
                return None
            checks = list(self.check_urls())
            results = self.prober([_probe_url(h) for h in hosts] + checks)
            if not checks or not results:
                return None  # nothing to compare with: treat it as the host's problem
            answering = [r for r in results if r.ok or not r.network_down]
            if answering:
                others = [r.host for r in answering if r.host not in hosts]
                if others:
                    self._last_up = now
                    log.info(
                        "%s is unreachable but %s answer: a problem of that host, not the network",
                        exc.host or "a host",
                        ", ".join(others),
                    )
                else:
                    log.info("%s answers again: a blip, retried as usual", exc.host or "its host")
                return None
            for result in results:
                self._down.setdefault(result.host, now)
            for host in hosts:
                self._down.setdefault(host, now)
            if self._next_probe <= now:
                self._next_probe = now + self.probe_every_s()
                self._failures = 1
            next_probe = self._next_probe
            reason = _reason(exc, results)
            opened = circuit is None and now - self._got_through_at > self.probe_every_s()
            if opened:
                # The reason starts with "offline since HH:MM": whatever shows circuits
                # (status, the web page, get) says so without knowing this circuit.
                self.circuits.open_offline(f"offline since {hhmm(now)}: {reason}", next_probe, now)
        self._wake.set()
        if not opened:
            log.info(
                "%s cannot be reached, nor can %s%s: its jobs wait without spending attempts "
                "(next check in %s)",
                exc.host or "a host",
                ", ".join(r.host for r in results if r.host not in hosts)[:200] or "the others",
                " (offline)" if circuit is not None else ", while other work gets through",
                format_delay(next_probe - now),
            )
            return next_probe
        log.warning(
            "offline since %s: %s; network work pauses without spending attempts and resumes "
            "by itself (next check in %s)",
            hhmm(now),
            reason,
            format_delay(next_probe - now),
        )
        self._changed(True)
        return next_probe

    def held_hosts(self) -> frozenset[str]:
        """The cut-off hosts (``host:port``): their jobs wait for the next probe."""
        with self._decide:
            return frozenset(self._down)

    def next_probe_at(self) -> float | None:
        with self._decide:
            return self._next_probe if self._down else None

    def got_through(self, url: str) -> None:
        """A job reached its host (``url``'s): the network works, whatever the probes said."""
        host = host_key(url)
        with self._decide:
            self._got_through_at = time.time()
            freed = self._down.pop(host, None) is not None
            closed = self.circuits.close_offline()
        if closed is not None:
            log.info(
                "online again: a job reached %s (offline since %s, for %s); work resumes",
                host or "its host",
                hhmm(closed.since),
                format_delay(time.time() - closed.since),
            )
            self._changed(False, closed)
        elif freed:
            self.on_back()

    # ------------------------------------------------------------------ the probe thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="spotsyncd-offline", daemon=True)
        self._thread.start()

    def stop(self, *, wait: bool = True, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if wait and self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._decide:
                waiting = bool(self._down) or self.circuits.offline_circuit() is not None
                delay = self._next_probe - time.time()
            if not waiting:
                self._wake.wait()
                self._wake.clear()
                continue
            if delay > 0:
                self._wake.wait(delay)
                self._wake.clear()
                continue
            try:
                self.probe_once()
            except Exception:  # noqa: BLE001 - the watch must outlive any probe bug
                log.exception("offline probe failed unexpectedly; trying again later")
                with self._decide:
                    self._next_probe = time.time() + self.probe_every_s()
                self.circuits.probe_failed(self._next_probe)

    def probe_once(self) -> bool:
        """Probe the check hosts and the cut-off ones now. Returns True (and closes the
        circuit) if a host answered."""
        with self._decide:
            down = list(self._down)
            if not down and self.circuits.offline_circuit() is None:
                return True
        checks = list(self.check_urls())
        check_hosts = {host_key(u) for u in checks}
        urls = checks + [_probe_url(h) for h in down if h not in check_hosts]
        results = self.prober(urls)
        up = [r for r in results if r.ok or not r.network_down]
        now = time.time()
        if not up:
            self._still_down(results, now)
            return False
        with self._decide:
            if any(r.host in check_hosts for r in up):
                self._down.clear()  # the network is back: a host still down is its own problem
            else:
                for result in up:
                    self._down.pop(result.host, None)
            self._failures = 0
            self._next_probe = now + self.probe_every_s()
            self._last_up = now
            closed = self.circuits.close_offline()
        if closed is not None:
            log.info(
                "online again: %s answers (offline since %s, for %s); work resumes",
                up[0].host,
                hhmm(closed.since),
                format_delay(now - closed.since),
            )
            self._changed(False, closed)
        else:
            log.info("%s answers again; its jobs resume", ", ".join(r.host for r in up))
            self.on_back()
        return True

    def _still_down(self, results: Sequence[Reach], now: float) -> None:
        """A probe found every host still down: back off; and when no work got through since
        the last probe either, the machine is offline (the circuit opens if a job's success
        had closed it)."""
        base = self.probe_every_s()
        with self._decide:
            self._failures += 1
            wait = min(base * 2 ** (self._failures - 1), base * MAX_BACKOFF_FACTOR)
            self._next_probe = now + wait
            opened = self.circuits.offline_circuit() is None and now - self._got_through_at > base
            if opened:
                reason = f"no network: {', '.join(r.host for r in results[:5])} unreachable"
                if results:
                    reason += f" ({results[0].detail})"
                self.circuits.open_offline(
                    f"offline since {hhmm(now)}: {reason}", self._next_probe, now
                )
            else:
                self.circuits.probe_failed(self._next_probe)
        if opened:
            log.warning(
                "offline since %s: nothing got through since the last check (%s); network "
                "work pauses without spending attempts",
                hhmm(now),
                _summary(results),
            )
            self._changed(True)
            return
        log.debug("still offline: %s; next check in %s", _summary(results), format_delay(wait))

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
