"""What every request handler is handed (``Depends``): the context, the ledger, the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request

from spotsyncd.api.answers import AnswerCache
from spotsyncd.core.config import Config
from spotsyncd.engine.health.status import StatusCache
from spotsyncd.ledger import Ledger
from spotsyncd.system.webauth import (
    FailedLogins,
    TokenStore,
    token_matches,
    valid_session,
    valid_ticket,
)

if TYPE_CHECKING:
    from spotsyncd.api.hub import EventHub

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WebContext:
    config: Config
    ledger: Ledger
    tokens: TokenStore
    hub: EventHub
    port: int
    # Tell the daemon the ledger changed from outside its own threads' view: wake the workers,
    # the reporter and the scheduler (the daemon's SIGUSR1 handler). A no-op without a daemon.
    nudge: Callable[[], None] = field(default=lambda: None)
    max_body_bytes: int = 1024 * 1024
    status_cache: StatusCache = field(default_factory=StatusCache)
    answers: AnswerCache = field(default_factory=AnswerCache)
    failed_logins: FailedLogins = field(default_factory=FailedLogins)


def get_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


Ctx = Annotated[WebContext, Depends(get_context)]


TICKET_PATHS = ("/api/v1/events",)  # and every ``…/audio``, ``…/cover``: fetched by URL
TICKET_ENDINGS = ("/audio", "/cover", "/playlist.m3u8")


def identify(
    ctx: WebContext, *, authorization: str, ticket: str | None, method: str, path: str
) -> str | None:
    """ "bearer" (the API token), "session" (the dashboard's), "ticket" (a short-lived one in the
    URL of the event stream or a track's audio), or None when the request carries none.

    No cookie is ever read: a browser sends a cookie set by one port of a host to every other
    port of it, so another local server could collect and replay it."""
    token = ctx.tokens.token()
    scheme, _, given = authorization.partition(" ")
    given = given.strip()
    if scheme.lower() == "bearer" and given and token_matches(token, given):
        return "bearer"
    session = scheme.lower() == "session" and given
    if session and valid_session(token, given, state_dir=ctx.config.state_dir):
        return "session"
    by_url = method in SAFE_METHODS and (path in TICKET_PATHS or path.endswith(TICKET_ENDINGS))
    if ticket and by_url and valid_ticket(token, ticket):
        return "ticket"
    return None


def caller(request: Request, ctx: WebContext) -> str | None:
    return identify(
        ctx,
        authorization=request.headers.get("authorization", ""),
        ticket=request.query_params.get("ticket"),
        method=request.method,
        path=request.url.path,
    )


def require_auth(request: Request, ctx: Ctx) -> str:
    """The token (``Authorization: Bearer``), a dashboard session (``Authorization: Session``),
    or a ticket where a browser cannot send a header. Browsers never send these headers across
    sites (no CORS is ever allowed), so no CSRF check is needed."""
    who = caller(request, ctx)
    if who is None:
        raise HTTPException(
            401,
            "this needs the API token: send 'Authorization: Bearer TOKEN' ('spotsyncd web token' "
            "prints it) or log in with the link 'spotsyncd web' prints",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return who
