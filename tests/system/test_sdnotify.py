from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spotsyncd.system.sdnotify import Notifier


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    try:
        yield sock, str(path)
    finally:
        sock.close()


def _receive(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_lifecycle_messages_arrive_as_datagrams(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled

    assert notifier.ready(status="watching /music/inbox")
    assert _receive(sock) == ["READY=1", "STATUS=watching /music/inbox"]
    assert notifier.status("2 jobs running\n1 pending")
    assert _receive(sock) == ["STATUS=2 jobs running 1 pending"]
    assert notifier.watchdog()
    assert _receive(sock) == ["WATCHDOG=1"]
    assert notifier.extend_timeout(2.5)
    assert _receive(sock) == ["EXTEND_TIMEOUT_USEC=2500000"]
    assert notifier.stopping()
    assert _receive(sock) == ["STOPPING=1"]


def test_reloading_carries_a_monotonic_timestamp(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert Notifier({"NOTIFY_SOCKET": path}).reloading()
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    first, second = _receive(sock)
    assert first == "RELOADING=1"
    key, value = second.split("=")
    assert key == "MONOTONIC_USEC"
    assert before <= int(value) <= after


def test_abstract_socket_address() -> None:
    name = f"spotsyncd-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(2)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert _receive(sock) == ["READY=1"]


def test_everything_is_a_no_op_without_notify_socket() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.status("x")
    assert not notifier.watchdog()
    assert not notifier.stopping()
    assert not notifier.reloading()
    assert notifier.watchdog_interval() is None


def test_a_vanished_socket_does_not_raise(tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.enabled
    assert notifier.ready() is False


def test_watchdog_interval() -> None:
    assert Notifier({"WATCHDOG_USEC": "60000000"}).watchdog_interval() == 60.0
    mine = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    assert Notifier(mine).watchdog_interval() == 30.0
    # Meant for another process (we inherited our parent's environment): do not ping.
    other = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    assert Notifier(other).watchdog_interval() is None
    assert Notifier({"WATCHDOG_USEC": "0"}).watchdog_interval() is None
    assert Notifier({"WATCHDOG_USEC": "soon"}).watchdog_interval() is None
