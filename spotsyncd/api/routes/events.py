"""``GET /events``: Server-Sent Events of job changes, follow polls and circuits.

Every message with an ``id`` is a row of the ledger's event log; after a reconnect the browser
sends ``Last-Event-ID`` (or a script passes ``?after=``) and gets everything it missed, then the
live stream. ``progress`` messages (percent, stage, speed, ETA of running jobs) have no id.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from spotsyncd.api.context import Ctx, WebContext, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.hub import BATCH, CLOSE, event_message

router = APIRouter(tags=["events"], dependencies=[Depends(require_auth)], responses=RESPONSES)

KEEPALIVE_S = 15.0
MAX_ID = 2**62  # ids are 64-bit in both databases: larger numbers would overflow the query


def sse(message: dict[str, Any]) -> bytes:
    head = f"id: {message['id']}\n" if "id" in message else ""
    return f"{head}data: {json.dumps(message, separators=(',', ':'))}\n\n".encode()


def _start_id(last_event_id: str | None, after: int | None) -> int | None:
    if after is not None:
        return after
    if last_event_id is None or not last_event_id.strip():
        return None
    try:
        value = int(last_event_id.strip())
    except ValueError:
        raise HTTPException(400, "Last-Event-ID: not an event id from this stream") from None
    if not 0 <= value <= MAX_ID:
        raise HTTPException(400, "Last-Event-ID: not an event id from this stream")
    return value


async def _stream(request: Request, ctx: WebContext, start: int | None) -> AsyncIterator[bytes]:
    hub = ctx.hub
    subscriber = hub.subscribe()  # first, so nothing written from here on can be missed
    try:
        sent = await run_in_threadpool(ctx.ledger.last_event_id) if start is None else start
        yield b"retry: 2000\n: connected\n\n"
        while True:  # the backlog, from the table
            rows = await run_in_threadpool(ctx.ledger.events_after, sent, BATCH)
            for row in rows:
                sent = int(row["id"])
                yield sse(event_message(row))
            if len(rows) < BATCH:
                break
        while True:
            try:
                message = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if message is CLOSE:
                return
            if "id" in message:
                if message["id"] <= sent:
                    continue  # already sent from the backlog
                sent = message["id"]
            yield sse(message)
    finally:
        hub.unsubscribe(subscriber)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                     "description": "an endless stream of events"}},
)  # fmt: skip
async def events(
    request: Request,
    ctx: Ctx,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="replay events after this id")
    ] = None,
) -> StreamingResponse:
    start = _start_id(last_event_id, after)
    return StreamingResponse(
        _stream(request, ctx, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
