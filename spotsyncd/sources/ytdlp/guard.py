"""yt-dlp's connections through the address check (``system/netguard.py``).

yt-dlp opens every connection in one of two functions, depending on its HTTP handler: urllib3's
``create_connection`` (the requests handler, its default) or its own networking helper's (the
urllib and websockets handlers). Both resolve the host with their module's
``socket.getaddrinfo`` and connect to an address it returned. Each module's ``socket`` is pointed
at one whose ``getaddrinfo`` obeys the policy of the thread's current ``guarding`` block, so the
address checked is the address connected to, redirects included. Outside such a block (Spotify's
client, the media servers' requests) nothing changes.

This reaches into library internals: installing refuses (and the daemon says so) when a release
changes them, and tests fetch through yt-dlp to prove the check holds.
"""

from __future__ import annotations


def install_address_guard() -> None:
    """Prepare yt-dlp's connection paths for ``guarding`` blocks (idempotent)."""
    import urllib3.util.connection
    from yt_dlp.networking import _helper

    from spotsyncd.system.netguard import install_scoped_resolver

    install_scoped_resolver(urllib3.util.connection)
    install_scoped_resolver(_helper)
