"""``GET /collections``: the playlists imported files brought, with their tracks' progress."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.schemas import CollectionOut
from spotsyncd.follows.playlists import PlaylistWriter

router = APIRouter(tags=["imports"], dependencies=[Depends(require_auth)], responses=RESPONSES)


@router.get("/collections", response_model=list[CollectionOut])
def list_collections(ctx: Ctx) -> list[CollectionOut]:
    """Every collection (a playlist of an imported file or export, or its liked songs), by
    name, with how many of its tracks are done, failed or still on their way."""
    states = ctx.ledger.collection_states()
    writer = PlaylistWriter(ctx.config.library_dir)
    return [
        CollectionOut(
            name=row.name,
            origin=row.origin,
            tracks=row.size,
            states=states.get(row.id, {}),
            playlist=writer.path_for(row.name).relative_to(ctx.config.library_dir).as_posix(),
            updated_at=row.updated_at,
        )
        for row in ctx.ledger.collections()
    ]
