"""The daemon's lookout: the offline watch, the alerts and the notification sender, started,
checked and stopped together (the daemon holds one ``Lookout``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from spotsyncd.core.config import Config
from spotsyncd.engine.resilience.alerts import Alerts
from spotsyncd.engine.resilience.circuits import Circuit, Circuits
from spotsyncd.engine.resilience.offline import OfflineWatch
from spotsyncd.ledger import Ledger
from spotsyncd.system.notify import Notifications


class Lookout:
    def __init__(
        self,
        config: Callable[[], Config],
        ledger: Ledger,
        circuits: Circuits,
        *,
        on_online: Callable[[], None],
    ) -> None:
        """``config`` gives the current configuration (it changes on reload); ``on_online``
        is called when the network is back (the daemon wakes its workers)."""
        self.ledger = ledger
        self.circuits = circuits
        self.on_online = on_online
        settings = config().notify
        self.offline = OfflineWatch(
            circuits,
            lambda: config().check_urls(),
            probe_every_s=lambda: float(config().network.probe_every),
            on_change=self._offline_changed,
            on_back=on_online,
        )
        self.notifications = Notifications(settings.urls, batch_s=float(settings.batch_seconds))
        self.alerts = Alerts(config, ledger, circuits, self.notifications)

    def start(self) -> None:
        self.offline.start()
        self.notifications.start()
        self.alerts.start()

    def alive(self) -> bool:
        return self.offline.alive() and self.alerts.alive() and self.notifications.alive()

    def stop_soon(self) -> None:
        """Tell the watch and the alerts to finish, without waiting (stop() waits and sends
        what is still waiting): a stop stays quick."""
        self.offline.stop(wait=False)
        self.alerts.stop(wait=False)

    def stop(self, left: Callable[[float], float] = lambda cap: cap) -> None:
        """Stop the watch, the alerts and the notifications, each waiting at most ``left(its
        own cap)``: the daemon hands in what is left of its stop's deadline (``StopClock``)."""
        self.offline.stop(timeout_s=left(5.0))
        self.alerts.stop(timeout_s=left(5.0))  # a last look, then what is waiting goes out
        self.notifications.stop(flush_s=left(2.0))
        self.circuits.close_offline()  # "offline" means nothing once no daemon runs

    def _offline_changed(self, offline: bool, circuit: Circuit) -> None:
        """The offline circuit opened or closed (its own log line is written already): an
        event in the ledger, and the workers woken when the network is back."""
        since = time.strftime("%H:%M", time.localtime(circuit.since))
        if offline:
            self.ledger.event("warning", "offline", circuit.reason)
            return
        gone = round(time.time() - circuit.since)
        self.ledger.event("info", "online", f"online again (offline since {since}, {gone}s)")
        self.on_online()
