"""``/activity``: the ledger's event log newest first, paged and filtered; ``/retries``: retry
every failed track, or every waiting one now (what ``spotsyncd retry --failed`` does)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.readable import track_label
from spotsyncd.api.schemas import ActivityPage, Counted, RetryIn
from spotsyncd.core.wording import counted

router = APIRouter(tags=["activity"], dependencies=[Depends(require_auth)], responses=RESPONSES)

MAX_ID = 2**62


@router.get("/activity", response_model=ActivityPage)
def activity(
    ctx: Ctx,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="events older than")] = None,
    level: Annotated[str | None, Query(max_length=20, description="info, warning, error")] = None,
    kind: Annotated[str | None, Query(max_length=40, description="queued, done, failed…")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in message or name")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    rows = ctx.ledger.events_page(before_id=before or 0, level=level, kind=kind, query=q,
                                  limit=limit)  # fmt: skip
    items = []
    for row in rows:
        label = row["follow"]
        if row["key"]:
            label = track_label(row["key"], row["url"], row["title"], row["artist"])
        items.append({**row, "label": label})
    next_before = rows[-1]["id"] if len(rows) == limit else None
    # Every kind in the log (a scan of it all): on the first page only, kept until an event.
    kinds = [] if before else ctx.answers.get(ctx.ledger, "event kinds", ctx.ledger.event_kinds)
    return {"items": items, "next_before": next_before, "kinds": kinds}


@router.post("/retries", response_model=Counted, status_code=202)
def retry_all(body: RetryIn, ctx: Ctx) -> Counted:
    """``failed``: every failed track again with fresh attempts (not what a follow set aside);
    ``waiting``: every track that waits for a later retry, now."""
    count = ctx.ledger.retry(failed=body.which == "failed", waiting=body.which == "waiting")
    if count:
        ctx.nudge()
    return Counted(count=count, message=f"{counted(count, 'track')} queued again")
