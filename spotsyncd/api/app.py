"""The FastAPI application: the API under ``/api/v1`` (OpenAPI at ``/api/v1/openapi.json``),
the dashboard at ``/``, all behind the guard (Host check, body cap, security headers)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from spotsyncd import __version__
from spotsyncd.api import errors
from spotsyncd.api.context import WebContext, identify, require_auth
from spotsyncd.api.guard import Guard, HostPolicy, Scope
from spotsyncd.api.routes import (
    activity,
    collections,
    events,
    follows,
    health,
    imports,
    library,
    links,
    pages,
    session,
    status,
    system,
    tracks,
)

API = "/api/v1"


def create_app(ctx: WebContext) -> FastAPI:
    app = FastAPI(
        title="spotsyncd",
        version=__version__,
        description="Queue links, follow playlists, watch jobs and play what is done. Every "
        "request but /healthz (this schema included) needs the token: 'Authorization: Bearer "
        "TOKEN' ('spotsyncd web token' prints it).",
        openapi_url=None,  # served below, behind the token
        docs_url=None,  # the interactive docs load scripts from a CDN: not here
        redoc_url=None,
    )
    app.state.ctx = ctx
    errors.install(app)
    for module in (status, links, imports, collections, tracks, library, activity, follows,
                   events, health, system, session):  # fmt: skip
        app.include_router(module.router, prefix=API)
    app.include_router(pages.router)
    app.add_api_route("/healthz", health.healthz, include_in_schema=False)  # probes at the root

    @app.get(f"{API}/openapi.json", include_in_schema=False, dependencies=[Depends(require_auth)])
    def openapi() -> dict[str, Any]:
        return app.openapi()

    def authorize(headers: dict[str, str], scope: Scope) -> bool:
        who = identify(
            ctx,
            authorization=headers.get("authorization", ""),
            ticket=None,
            method=str(scope.get("method", "")),
            path=str(scope.get("path", "")),
        )
        return who is not None

    hosts = HostPolicy(ctx.config.web.host, lambda: ctx.port, ctx.config.web.allowed_hosts)
    app.add_middleware(
        Guard,
        hosts=hosts,
        max_body_bytes=ctx.max_body_bytes,
        authorize=authorize,
        body_limits={API + imports.PATH: imports.MAX_IMPORT_BYTES},
    )
    return app
