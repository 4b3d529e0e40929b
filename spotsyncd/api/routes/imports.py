"""``POST /imports``: a playlist file or library export uploaded whole (the dashboard's "Import a
playlist file"), read and queued as if dropped into the inbox."""

from __future__ import annotations

from email.message import Message
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.schemas import ImportedCollection, ImportOut, ImportRefusal
from spotsyncd.intake.playlists.entries import NotAPlaylistError, PlaylistFileError
from spotsyncd.intake.uploads import import_playlist

# A 10,000-song Exportify CSV is ~5 MB, an account export's Playlist1.json less; the guard
# buffers no more than this for this route (every other body stays under the usual cap).
MAX_IMPORT_BYTES = 16 * 1024 * 1024
PATH = "/imports"

router = APIRouter(
    tags=["imports"],
    dependencies=[Depends(require_auth)],
    responses={**RESPONSES, 415: {**RESPONSES[400], "description": "unsupported_media_type"}},
)


def _disposition_name(header: str | None) -> str | None:
    if not header:
        return None
    message = Message()
    message["content-disposition"] = header
    return message.get_filename()


@router.post(PATH, status_code=202, response_model=ImportOut)
async def post_import(
    request: Request,
    ctx: Ctx,
    name: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="the file's name, e.g. Playlist1.json or liked.csv "
            "(else the Content-Disposition header's filename)",
        ),
    ] = None,  # fmt: skip
) -> ImportOut:
    """The file's bytes are the body (any content type): M3U/M3U8, PLS, XSPF, JSPF, a CSV export
    or Spotify's account data export (a file of it, or the zip it comes in). 202 with what was
    queued, per playlist; 400 (no name, empty, damaged), 413 (over 16 MiB) or 415 (no playlist
    format) with the reason, and then nothing is written."""
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:  # the guard stops bigger ones before they are read
        raise HTTPException(413, f"over {MAX_IMPORT_BYTES // (1024 * 1024)} MiB; split the file")
    filename = name or _disposition_name(request.headers.get("content-disposition"))
    try:
        outcome = await run_in_threadpool(
            import_playlist, ctx.ledger, ctx.config.inbox_dir, body, filename or ""
        )
    except NotAPlaylistError as exc:
        raise HTTPException(415, f"{filename}: {exc}") from None
    except PlaylistFileError as exc:
        raise HTTPException(400, f"{filename or 'the upload'}: {exc}") from None
    except OSError as exc:  # the inbox's processed/ folder: full, read-only, gone
        raise HTTPException(
            503, f"{filename}: cannot keep the file in {ctx.config.inbox_dir}: {exc.strerror}"
        ) from None
    ctx.nudge()  # the workers, and the reporter that writes the file's report
    return ImportOut(
        file=str(outcome.stored),
        format=outcome.format,
        queued=outcome.queued,
        known=outcome.known,
        refused=outcome.refused,
        collections=[
            ImportedCollection(name=c.name, tracks=c.tracks, queued=c.queued)
            for c in outcome.collections
        ],
        refusals=[ImportRefusal(position=p, text=t, reason=r) for p, t, r in outcome.refusals],
    )
