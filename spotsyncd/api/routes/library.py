"""``/library``: filed tracks as albums (with a cover each), artists, sorted and searched pages
of tracks, one album with its tracks and its cover."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.routes.tracks import cover_response, cover_url, track_json
from spotsyncd.api.schemas import AlbumDetail, AlbumPage, ArtistPage, LibraryPage

router = APIRouter(tags=["library"], dependencies=[Depends(require_auth)], responses=RESPONSES)

Query200 = Annotated[str | None, Query(max_length=200, description="text in title/artist/album")]
Order = Annotated[Literal["asc", "desc"], Query(description="ascending or descending")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="where the page starts")]
Limit = Annotated[int, Query(ge=1, le=500, description="how many on the page (at most 500)")]
PAGE = 120  # a page of the album grid: a few screens of covers, ~25 KB of JSON


def _json(schema: type[BaseModel], data: dict[str, Any]) -> bytes:
    """The answer as its schema gives it, serialised once: kept answers skip both steps."""
    return schema.model_validate(data).model_dump_json().encode()


def _answer(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def album_id(artist: str, album: str) -> str:
    raw = json.dumps([artist, album], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _album_of(album: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(album + "=" * (-len(album) % 4))
        artist, name = json.loads(raw.decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        raise HTTPException(404, "no such album (GET /api/v1/library/albums lists them)") from None
    if not isinstance(artist, str) or not isinstance(name, str):
        raise HTTPException(404, "no such album (GET /api/v1/library/albums lists them)")
    return artist, name


def _album_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": album_id(row["artist"], row["album"]),
        "artist": row["artist"],
        "album": row["album"],
        "tracks": row["tracks"],
        "added_at": row["added_at"],
        "cover_url": f"/api/v1/library/albums/{album_id(row['artist'], row['album'])}/cover",
    }


def _paged(rows: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    """The first ``limit`` of ``limit + 1`` rows read, and where the next page starts: the
    extra row says whether there is one, so the last page says null, never an empty page."""
    more = len(rows) > limit
    return {"rows": rows[:limit], "next_offset": offset + limit if more else None}


@router.get("/library/albums", response_model=AlbumPage)
def albums(
    ctx: Ctx,
    q: Query200 = None,
    sort: Annotated[Literal["album", "artist", "added"], Query()] = "album",
    order: Order = "asc",
    offset: Offset = 0,
    limit: Limit = PAGE,
) -> Response:
    """Albums of filed tracks, sorted (ties by the other name, so pages never skip or repeat
    one); page with ``offset``."""

    def compute() -> bytes:
        rows = ctx.ledger.albums(query=q, sort=sort, descending=order == "desc",
                                 offset=offset, limit=limit + 1)  # fmt: skip
        page = _paged(rows, offset, limit)
        return _json(AlbumPage, {"items": [_album_json(r) for r in page["rows"]],
                                 "next_offset": page["next_offset"]})  # fmt: skip

    key = ("albums", q, sort, order, offset, limit)
    return _answer(ctx.answers.get(ctx.ledger, key, compute))


@router.get("/library/artists", response_model=ArtistPage)
def artists(ctx: Ctx, q: Query200 = None, offset: Offset = 0, limit: Limit = PAGE) -> Response:
    """Artists of filed tracks by name; page with ``offset``."""

    def compute() -> bytes:
        page = _paged(ctx.ledger.artists(query=q, offset=offset, limit=limit + 1), offset, limit)
        items = [{**r, "cover_url": cover_url(r.pop("cover_key"))} for r in page["rows"]]
        return _json(ArtistPage, {"items": items, "next_offset": page["next_offset"]})

    return _answer(ctx.answers.get(ctx.ledger, ("artists", q, offset, limit), compute))


@router.get("/library/tracks", response_model=LibraryPage)
def library_tracks(
    ctx: Ctx,
    q: Query200 = None,
    sort: Annotated[Literal["title", "artist", "album", "added"], Query()] = "title",
    order: Order = "asc",
    artist: Annotated[str | None, Query(max_length=500, description="only this artist")] = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Response:
    """Filed tracks, sorted; page with ``offset``."""

    def compute() -> bytes:
        rows = ctx.ledger.filed_page(query=q, sort=sort, descending=order == "desc",
                                     artist=artist, offset=offset, limit=limit)  # fmt: skip
        next_offset = offset + limit if len(rows) == limit else None
        return _json(LibraryPage, {"items": [track_json(r) for r in rows],
                                   "next_offset": next_offset})  # fmt: skip

    key = ("tracks", q, sort, order, artist, offset, limit)
    return _answer(ctx.answers.get(ctx.ledger, key, compute))


def _album_tracks(ctx: Ctx, album: str) -> tuple[str, str, list[Any]]:
    artist, name = _album_of(album)
    rows = ctx.ledger.filed_page(artist=artist, album=name, sort="album", limit=500)
    if not rows:
        raise HTTPException(404, "no such album (GET /api/v1/library/albums lists them)")
    rows.sort(key=lambda r: (r.meta.disc_number or 0, r.meta.track_number or 0, r.title or ""))
    return artist, name, rows


@router.get("/library/albums/{album}", response_model=AlbumDetail)
def album_detail(album: str, ctx: Ctx) -> dict[str, Any]:
    artist, name, rows = _album_tracks(ctx, album)
    added = max((r.done_at or 0 for r in rows), default=0) or None
    return {
        **_album_json({"artist": artist, "album": name, "tracks": len(rows), "added_at": added}),
        "items": [track_json(r) for r in rows],
    }


@router.get("/library/albums/{album}/cover", response_class=Response, responses={
    200: {"content": {"image/jpeg": {}, "image/svg+xml": {}},
          "description": "the first cover among its tracks (a placeholder with ?placeholder=true)"},
})  # fmt: skip
def album_cover(
    album: str,
    ctx: Ctx,
    placeholder: Annotated[
        bool, Query(description="answer a neutral picture instead of 404 when there is none")
    ] = False,
) -> Response:
    _, _, rows = _album_tracks(ctx, album)
    for row in rows[:20]:  # the first track with a cover stands for the album
        try:
            return cover_response(ctx, row, placeholder=False)
        except HTTPException:
            continue
    return cover_response(ctx, rows[0], placeholder)
