"""A reload that brings new credentials (a media server added) redacts them from then on."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from spotsyncd.system.logsetup import RedactingFilter, add_secrets


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter(["old-secret-value"]))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


def test_added_secrets_are_redacted_and_old_ones_stay(stream: io.StringIO) -> None:
    log = logging.getLogger("spotsyncd.test")
    log.warning("before: %s", "new-api-key-123")
    add_secrets(["new-api-key-123", None, "abc"])  # too short to redact safely: ignored
    log.warning("after: %s and %s and abc", "new-api-key-123", "old-secret-value")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "before: new-api-key-123"
    assert lines[1] == "after: *** and *** and abc"
