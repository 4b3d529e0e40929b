"""What every request handler is handed (``Depends``): the context, the ledger, the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request

from spotsyncd.core.config import Config
from spotsyncd.engine.health.status import StatusCache
from spotsyncd.ledger import Ledger
from spotsyncd.system.webauth import TokenStore, token_matches, valid_session

if TYPE_CHECKING:
    from spotsyncd.api.hub import EventHub

SESSION_COOKIE = "spotsyncd_session"
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


def get_context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


Ctx = Annotated[WebContext, Depends(get_context)]


def caller(request: Request, ctx: WebContext) -> str | None:
    """ "bearer", "cookie", or None when the request carries no valid credential."""
    token = ctx.tokens.token()
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and given and token_matches(token, given.strip()):
        return "bearer"
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and valid_session(token, cookie):
        return "cookie"
    return None


def same_origin(request: Request) -> bool:
    """A browser's state-changing request is ours only if it says it comes from our page."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin in (f"http://{host}", f"https://{host}")
    return request.headers.get("sec-fetch-site") == "same-origin"


def require_auth(request: Request, ctx: Ctx) -> str:
    """The token (``Authorization: Bearer``) or a session cookie; a cookie on a state-changing
    request must come with a same-origin ``Origin`` (CSRF)."""
    who = caller(request, ctx)
    if who is None:
        raise HTTPException(
            401,
            "this needs the API token: send 'Authorization: Bearer TOKEN' ('spotsyncd web token' "
            "prints it) or log in with the link 'spotsyncd web' prints",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if who == "cookie" and request.method not in SAFE_METHODS and not same_origin(request):
        raise HTTPException(403, "cross-site request refused: it did not come from this page")
    return who
