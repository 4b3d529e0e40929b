"""Follow queries (filled in by the follow-playlists work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine


class FollowsMixin:
    engine: Engine
