"""The fixtures of tests/api: the real app on a real ledger, in process and on loopback."""

from tests.api.conftest import live, web

__all__ = ["live", "web"]
