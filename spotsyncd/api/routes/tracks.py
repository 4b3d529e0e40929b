"""``/tracks``: list (keyset pages), one track's story (what ``why`` says), retry, manual match,
and the filed audio with Range support, found through the ledger only."""

from __future__ import annotations

import base64
import mimetypes
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from spotsyncd.api.context import Ctx, WebContext, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.readable import readable
from spotsyncd.api.schemas import AcceptIn, MatchIn, Queued, TrackDetail, TrackPage
from spotsyncd.core.models import JobState
from spotsyncd.engine.health.status import why_data
from spotsyncd.intake.links import parse_link
from spotsyncd.ledger import TrackRow

router = APIRouter(tags=["tracks"], dependencies=[Depends(require_auth)], responses=RESPONSES)

AUDIO_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".opus": "audio/ogg",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
    ".webm": "audio/webm",
    ".wav": "audio/wav",
}


def audio_url(key: str) -> str:
    return f"/api/v1/tracks/{quote(key, safe='')}/audio"


def cover_url(key: str) -> str:
    return f"/api/v1/tracks/{quote(key, safe='')}/cover"


def track_json(row: TrackRow) -> dict[str, Any]:
    data = readable(row.to_json())
    filed = row.state == JobState.DONE and bool(row.path)
    data["audio_url"] = audio_url(row.key) if filed else None
    data["cover_url"] = cover_url(row.key) if filed else None
    data["added_at"] = row.created_at
    return data


def _cursor(after_id: int) -> str:
    return base64.urlsafe_b64encode(str(after_id).encode()).decode().rstrip("=")


def _after_id(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "cursor: not a cursor this API gave out") from None
    if not 0 <= value <= 2**62:  # a larger number would overflow the database's 64-bit ids
        raise HTTPException(400, "cursor: not a cursor this API gave out")
    return value


@router.get("/tracks", response_model=TrackPage)
def list_tracks(
    ctx: Ctx,
    state: Annotated[JobState | None, Query(description="only tracks in this state")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="text in key/title/artist/album")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    order: Annotated[
        Literal["oldest", "newest"], Query(description="oldest first (the default) or newest")
    ] = "oldest",
) -> dict[str, Any]:
    rows = ctx.ledger.tracks_page(
        state=state,
        query=q,
        after_id=_after_id(cursor),
        limit=limit,
        newest_first=order == "newest",
    )
    next_cursor = _cursor(rows[-1].id) if len(rows) == limit else None
    return {"items": [track_json(r) for r in rows], "next_cursor": next_cursor}


def _found(ctx: WebContext, key: str) -> TrackRow:
    row = ctx.ledger.track(key)
    if row is None:
        raise HTTPException(404, f"no track {key} in the ledger (GET /api/v1/tracks lists them)")
    return row


@router.get("/tracks/{key:path}/audio", response_class=FileResponse, responses={
    200: {"content": {t: {} for t in sorted(set(AUDIO_TYPES.values()))},
          "description": "the file (206 with a Range)"},
    206: {"description": "part of the file"},
    416: {"description": "range not satisfiable"},
})  # fmt: skip
def get_audio(key: str, ctx: Ctx, request: Request) -> FileResponse:
    """The filed file of a done track. Its path comes from the ledger, never from the request,
    and must resolve inside the library."""
    row = _found(ctx, key)
    if row.state != JobState.DONE or not row.path:
        raise HTTPException(404, f"{key} has no file yet (state: {row.state})")
    library = ctx.config.library_dir.resolve()
    path = (library / row.path).resolve()
    if not path.is_relative_to(library):
        raise HTTPException(404, f"{key}: its recorded file is outside the library; not served")
    if not path.is_file():
        raise HTTPException(
            404,
            f"{key}: its file {row.path} is gone from the library; 'spotsyncd doctor --repair' "
            "fetches it again",
        )
    _check_range(request.headers.get("range"), path.stat().st_size)
    media_type = AUDIO_TYPES.get(path.suffix.lower()) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return FileResponse(path, media_type=media_type, filename=path.name,
                        content_disposition_type="inline")  # fmt: skip


@router.get("/tracks/{key:path}/cover", response_class=Response, responses={
    200: {"content": {"image/jpeg": {}, "image/svg+xml": {}},
          "description": "a thumbnail of the cover (a placeholder with ?placeholder=true)"},
})  # fmt: skip
def get_cover(
    key: str,
    ctx: Ctx,
    placeholder: Annotated[
        bool, Query(description="answer a neutral picture instead of 404 when there is none")
    ] = False,
) -> Response:
    """A small JPEG of the cover embedded in a done track's file, made once and cached."""
    row = _found(ctx, key)
    return cover_response(ctx, row, placeholder)


def cover_response(ctx: WebContext, row: TrackRow, placeholder: bool) -> Response:
    from spotsyncd.media.thumbnails import cover_thumbnail

    data = None
    if row.state == JobState.DONE and row.path:
        library = ctx.config.library_dir.resolve()
        path = (library / row.path).resolve()
        if path.is_relative_to(library) and path.is_file():
            data = cover_thumbnail(path, ctx.config.state_dir / "cache" / "covers")
    cache = {"Cache-Control": "private, max-age=3600"}
    if data is not None:
        return Response(data, media_type="image/jpeg", headers=cache)
    if placeholder:
        return Response(PLACEHOLDER, media_type="image/svg+xml", headers=cache)
    raise HTTPException(404, f"{row.key} has no cover (only filed tracks with one have)")


PLACEHOLDER = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 60 60"><rect width="60" height="60"'
    b' fill="#8b96a3"/><circle cx="30" cy="30" r="17" fill="none" stroke="#fff"'
    b' stroke-width="3"/><circle cx="30" cy="30" r="4" fill="#fff"/></svg>'
)


def _check_range(value: str | None, size: int) -> None:
    """Starlette answers a bad Range in plain text: check it first so the error is JSON like
    every other (the same parser decides, so the answers cannot disagree)."""
    if value is None:
        return
    try:
        FileResponse._parse_range_header(value, size)
    except MalformedRangeHeader as exc:
        raise HTTPException(400, f"Range: {exc.content}") from None
    except RangeNotSatisfiable:
        raise HTTPException(
            416,
            f"Range: not satisfiable; the file is {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        ) from None


@router.post("/tracks/{key:path}/retry", response_model=Queued, status_code=202)
def retry(key: str, ctx: Ctx) -> Queued:
    row = _found(ctx, key)
    if row.state not in (JobState.FAILED, JobState.SKIPPED, JobState.PENDING):
        raise HTTPException(
            409, f"{key} is {row.state}; only failed, skipped or waiting tracks are retried"
        )
    ctx.ledger.retry([key])
    ctx.nudge()
    return Queued(key=key, state="pending", message=f"{key} queued again")


@router.post("/tracks/{key:path}/match", response_model=Queued, status_code=202)
def match(key: str, body: MatchIn, ctx: Ctx) -> Queued:
    """Use this audio for the track and run it again (what ``spotsyncd match KEY URL`` does)."""
    audio = parse_link(body.url)  # http(s) only, no local files: a LinkError is a 400
    _found(ctx, key)
    track = ctx.ledger.set_override(key, audio.url)
    if track is None:
        raise HTTPException(404, f"no track {key} in the ledger")
    ctx.nudge()
    return Queued(key=key, state=str(track.state), message=f"{key} will use {audio.url}")


@router.post("/tracks/{key:path}/accept", response_model=Queued, status_code=202)
def accept(key: str, ctx: Ctx, body: AcceptIn | None = None) -> Queued:
    """File a track in ``review`` anyway: the candidate the matcher chose first (its audio was
    found to be another recording), or the candidate ``url`` given. Its verdict stays
    ``mismatch``; the MusicBrainz IDs of the recording asked for are not written."""
    row = _found(ctx, key)
    if row.state != JobState.REVIEW:
        raise HTTPException(409, f"{key} is {row.state}, not in review; nothing to accept")
    url = parse_link(body.url).url if body is not None and body.url else None
    track = ctx.ledger.accept_review(key, url)
    if track is None:
        raise HTTPException(404, f"no track {key} in the ledger")
    ctx.nudge()
    return Queued(key=key, state=str(track.state), message=f"{key} will be filed as accepted")


@router.get("/tracks/{key:path}", response_model=TrackDetail)
def get_track(key: str, ctx: Ctx) -> dict[str, Any]:
    """History, last error, the ranked match candidates with their scores (those checked by
    fingerprint with their verdicts) and the track's MusicBrainz identity and verdict."""
    data = why_data(ctx.ledger, ctx.config.library_dir, key)
    if data is None:
        raise HTTPException(404, f"no track {key} in the ledger (GET /api/v1/tracks lists them)")
    row = data.pop("row")
    shown = track_json(row)
    data.update({k: shown[k] for k in ("audio_url", "cover_url", "label", "reason", "added_at")})
    data["items"] = [track_json(c) for c in data.pop("children")]
    return data
