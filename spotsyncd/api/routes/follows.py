"""``/follows``: list, follow, unfollow, poll now, and a follow's playlist as m3u8."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from spotsyncd.api.context import Ctx, WebContext, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.readable import track_label
from spotsyncd.api.routes.tracks import audio_url
from spotsyncd.api.schemas import Done, Follow, FollowChange, FollowIn, FollowItems
from spotsyncd.core.config import parse_duration
from spotsyncd.core.config_values import since as since_option
from spotsyncd.core.models import JobState
from spotsyncd.follows.service import followable, request_poll
from spotsyncd.intake.links import parse_line
from spotsyncd.ledger.follows.rows import FollowRow

router = APIRouter(tags=["follows"], dependencies=[Depends(require_auth)], responses=RESPONSES)


def _found(ctx: WebContext, name: str) -> FollowRow:
    row = ctx.ledger.follow(name)
    if row is None:
        raise HTTPException(404, f"no follow named {name} (GET /api/v1/follows lists them)")
    return row


@router.get("/follows", response_model=list[Follow])
def list_follows(ctx: Ctx) -> list[dict[str, Any]]:
    return [row.to_json() for row in ctx.ledger.follows()]


@router.post("/follows", response_model=Follow, status_code=201)
def add_follow(body: FollowIn, ctx: Ctx) -> dict[str, Any]:
    """What ``spotsyncd follow URL`` does; the running daemon polls it shortly."""
    link = followable(parse_line(body.url))  # a LinkError is a 400 with the reason
    try:
        every = parse_duration(body.every) if body.every else ctx.config.poll_every_s
    except ValueError as exc:
        raise HTTPException(422, f"every: {exc}") from None
    options = {
        k: v
        for k, v in (
            ("format", body.format),
            ("subdir", body.subdir),
            ("on_removed", body.on_removed),
            ("normalize", body.normalize),
            ("keep_last", body.keep_last),
        )
        if v
    }
    if body.since:
        try:
            options["since"] = since_option(body.since)
        except ValueError as exc:
            raise HTTPException(422, f"since: {exc}") from None
    row = ctx.ledger.add_follow(
        link, name=body.name, interval_s=every, options=options, origin="cli"
    )
    ctx.nudge()
    return row.to_json()


@router.get("/follows/{name}", response_model=Follow)
def get_follow(name: str, ctx: Ctx) -> dict[str, Any]:
    return _found(ctx, name).to_json()


@router.patch("/follows/{name}", response_model=Follow)
def change_follow(name: str, body: FollowChange, ctx: Ctx) -> dict[str, Any]:
    """Change how often it is polled (``every``: 30m, 6h, 1d…)."""
    _found(ctx, name)
    try:
        every = parse_duration(body.every)
    except ValueError as exc:
        raise HTTPException(422, f"every: {exc}") from None
    if every < 60:
        raise HTTPException(422, "every: at least 1m")
    row = ctx.ledger.set_interval(name, every)
    if row is None:
        raise HTTPException(404, f"no follow named {name} (GET /api/v1/follows lists them)")
    ctx.nudge()
    return row.to_json()


@router.get("/follows/{name}/tracks", response_model=FollowItems)
def follow_tracks(name: str, ctx: Ctx) -> dict[str, Any]:
    """Its tracks in its order, then those no longer listed upstream (``absent_since``)."""
    row = _found(ctx, name)
    items = []
    for item in ctx.ledger.follow_tracks(row.id, include_absent=True):
        items.append({
            "key": item.key,
            "label": track_label(item.key, item.url, item.title, item.artist),
            "state": str(item.state),
            "absent_since": item.absent_since,
            "audio_url": audio_url(item.key) if item.state == JobState.DONE and item.path
            else None,
        })  # fmt: skip
    playlist = f"/api/v1/follows/{quote(row.name, safe='')}/playlist.m3u8"
    return {"items": items, "playlist_url": playlist}


@router.delete("/follows/{name}", response_model=Done)
def unfollow(name: str, ctx: Ctx) -> Done:
    _found(ctx, name)
    ctx.ledger.remove_follow(name)
    ctx.nudge()
    return Done(message=f"unfollowed {name}; its files stay in the library")


@router.post("/follows/{name}/sync", response_model=Done, status_code=202)
def sync(name: str, ctx: Ctx) -> Done:
    row = _found(ctx, name)
    request_poll(ctx.config.state_dir, [row.name])
    ctx.nudge()
    return Done(message=f"polling {row.name} now")


@router.get("/follows/{name}/playlist.m3u8", response_class=Response, responses={
    200: {"content": {"audio/x-mpegurl": {"schema": {"type": "string"}}},
          "description": "the follow's done tracks in its order, as links to their audio"},
})  # fmt: skip
def playlist(name: str, ctx: Ctx) -> Response:
    row = _found(ctx, name)
    lines = ["#EXTM3U"]
    for item in ctx.ledger.follow_tracks(row.id):
        if item.state != JobState.DONE or not item.path:
            continue
        who = " ".join(f"{item.artist or 'Unknown Artist'} – {item.title or item.key}".split())
        lines.append(f"#EXTINF:{round(item.duration_s or -1)},{who}")
        lines.append(audio_url(item.key))
    body = "\n".join(lines) + "\n"
    filename = quote(f"{row.name}.m3u8", safe="")
    return Response(body, media_type="audio/x-mpegurl", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{filename}"})  # fmt: skip
