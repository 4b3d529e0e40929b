"""The sd_notify protocol, spoken directly (no libsystemd, no dependency).

systemd hands a ``Type=notify`` service the address of a datagram socket in ``NOTIFY_SOCKET``; the
service sends newline-separated ``KEY=value`` assignments to it. Outside systemd the variable is
unset and every call here is a no-op, so the daemon can call them unconditionally.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Tell the service manager about our lifecycle: ready, status, stopping, watchdog pings."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        environ = os.environ if env is None else env
        self._address = _socket_address(environ.get("NOTIFY_SOCKET", ""))
        self._watchdog_usec = environ.get("WATCHDOG_USEC", "")
        self._watchdog_pid = environ.get("WATCHDOG_PID", "")

    @property
    def enabled(self) -> bool:
        """Whether a service manager is listening (``NOTIFY_SOCKET`` was set)."""
        return self._address is not None

    def notify(self, *assignments: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; False when nobody listens or sending failed."""
        if self._address is None or not assignments:
            return False
        message = "\n".join(assignments).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self._address)
        except OSError as exc:
            # A lost notification must never take the daemon down; systemd's own timeouts act.
            log.debug("sd_notify %r failed: %s", assignments, exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Start-up is complete: observer, scheduler and workers are running."""
        return self.notify("READY=1", *_status_line(status))

    def status(self, text: str) -> bool:
        """One line shown by ``systemctl status``."""
        return self.notify(*_status_line(text))

    def stopping(self, status: str | None = None) -> bool:
        """Shutdown has begun."""
        return self.notify("STOPPING=1", *_status_line(status))

    def reloading(self, status: str | None = None) -> bool:
        """Configuration reload has begun; send ``ready()`` when done (``Type=notify-reload``)."""
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.notify("RELOADING=1", f"MONOTONIC_USEC={usec}", *_status_line(status))

    def watchdog(self) -> bool:
        """Keep-alive ping; send only while every part of the daemon is really healthy."""
        return self.notify("WATCHDOG=1")

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more time during start-up or shutdown (e.g. while jobs wind down)."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")

    def watchdog_interval(self) -> float | None:
        """Seconds within which systemd expects a ping, or None when no watchdog is armed.

        Ping at half this interval. ``WATCHDOG_PID`` names the process the watchdog is meant for;
        a child that inherited the environment must not ping on its parent's behalf.
        """
        if self._watchdog_pid:
            try:
                if int(self._watchdog_pid) != os.getpid():
                    return None
            except ValueError:
                return None
        try:
            usec = int(self._watchdog_usec)
        except ValueError:
            return None
        return usec / 1_000_000 if usec > 0 else None


def _status_line(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    # The protocol is line based: a newline in the text would start a bogus assignment.
    return ("STATUS=" + " ".join(text.splitlines()),)


def _socket_address(value: str) -> str | bytes | None:
    if not value:
        return None
    if value.startswith("@"):
        # Linux abstract namespace: a leading NUL byte instead of a path.
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    # vsock:// and other exotic transports are for VMs; a user daemon never gets them.
    log.debug("ignoring unsupported NOTIFY_SOCKET %r", value)
    return None
