"""``GET /status``: what ``spotsyncd status --json`` says, the same function and shape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.schemas import Status
from spotsyncd.engine.health.status import status_data

router = APIRouter(tags=["status"], dependencies=[Depends(require_auth)], responses=RESPONSES)


@router.get("/status", response_model=Status)
def get_status(ctx: Ctx) -> dict[str, Any]:
    return status_data(ctx.config, ctx.ledger, ctx.status_cache)
