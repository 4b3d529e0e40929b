"""network_down_cause: which failures mean "could not reach the host at all" (the offline
watch then asks whether the whole network is down) and which are the host's own trouble."""

from __future__ import annotations

import errno
import socket

import pytest
import requests
import urllib3.exceptions

from spotsyncd.core.errors import network_down_cause


def _wrapped(inner: BaseException) -> Exception:
    """As yt-dlp and requests hand them on: the socket error as the cause of another."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise RuntimeError("Unable to download webpage") from exc
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (socket.gaierror(-3, "Temporary failure in name resolution"), "name resolution failed"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "connection refused"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "host or network unreachable"),
        (OSError(errno.ETIMEDOUT, "Connection timed out"), "connection timed out"),
        (urllib3.exceptions.ConnectTimeoutError(None, "Connection to x timed out."),
         "connection timed out"),
        (requests.ConnectTimeout("connect timeout=20"), "connection timed out"),
    ],
)  # fmt: skip
def test_unreachable_hosts(error: BaseException, cause: str) -> None:
    assert network_down_cause(error) == cause
    assert network_down_cause(_wrapped(error)) == cause


def test_a_message_that_says_so_is_enough() -> None:
    """yt-dlp hands some failures on as text only: the message is read too."""
    message = RuntimeError("HTTPSConnectionPool(host='x'): Max retries (connect timeout=20)")
    assert network_down_cause(message) == "connection timed out"
    assert network_down_cause(RuntimeError("[Errno -2] Name or service not known")) == (
        "name resolution failed"
    )


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError("The read operation timed out"),
        requests.ReadTimeout("Read timed out. (read timeout=20)"),
        urllib3.exceptions.ReadTimeoutError(None, "/x", "Read timed out."),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        RuntimeError("HTTP Error 503: Service Unavailable"),
    ],
)
def test_the_hosts_own_trouble(error: BaseException) -> None:
    assert network_down_cause(error) is None
    assert network_down_cause(_wrapped(error)) is None
