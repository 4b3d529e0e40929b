from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def playlists_dir() -> Path:
    """Real playlist files and exports in ../shared/realworld/playlists (skip when absent)."""
    path = Path(__file__).resolve().parents[3].parent / "shared" / "realworld" / "playlists"
    if not path.is_dir():
        pytest.skip("../shared/realworld/playlists is not present")
    return path
