"""``GET /healthz`` (no token: for probes; 200 only when the ledger answers), ``GET /metrics``
(Prometheus text format) and ``GET /health/sources`` (each source's canary, the yt-dlp in use)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES, ErrorBody, error_response
from spotsyncd.api.schemas import Health, SourcesHealth
from spotsyncd.engine.health.status import source_rows, yt_dlp_status

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": ErrorBody, "description": "the ledger does not answer"}},
)
def healthz(ctx: Ctx) -> Response:
    try:
        ctx.ledger.last_event_id()
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", with the reason
        log.warning("web: health check: the ledger does not answer: %s", exc)
        return error_response(503, "the ledger does not answer; see 'spotsyncd doctor'")
    return JSONResponse({"status": "ok", "ledger": "ok"})


@router.get(
    "/metrics",
    dependencies=[Depends(require_auth)],
    responses={
        **RESPONSES,
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus text format",
        },
    },  # fmt: skip
    response_class=Response,
)
def metrics(ctx: Ctx) -> Response:
    from spotsyncd.api.metrics import render

    body, content_type = render(ctx)
    return Response(body, media_type=content_type)


@router.get(
    "/health/sources",
    dependencies=[Depends(require_auth)],
    response_model=SourcesHealth,
    responses=RESPONSES,
)
def sources_health(ctx: Ctx) -> dict[str, object]:
    """Each source the user uses: ok, or failing since when, why and what to do."""
    return {"yt_dlp": yt_dlp_status(ctx.config), "sources": source_rows(ctx.ledger)}
