"""``POST /tickets`` and ``POST /logout``: what the dashboard's session needs besides requests.

A ticket stands in for the ``Authorization`` header where a browser cannot send one (the event
stream's ``EventSource``, an ``<audio>`` source); it lasts ten minutes and opens only those
read-only URLs. Logging out revokes the session that asked."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from spotsyncd.api.context import Ctx, require_auth
from spotsyncd.api.errors import RESPONSES
from spotsyncd.api.schemas import Ticket
from spotsyncd.system.webauth import TICKET_TTL_S, new_ticket, revoke_session

router = APIRouter(tags=["session"], dependencies=[Depends(require_auth)], responses=RESPONSES)


@router.post("/tickets", response_model=Ticket)
def ticket(ctx: Ctx) -> Ticket:
    """A ticket for the event stream and audio URLs: add ``?ticket=…`` to them."""
    return Ticket(ticket=new_ticket(ctx.tokens.token()), expires_in=TICKET_TTL_S)


@router.post("/logout", status_code=204, response_class=Response)
def logout(request: Request, ctx: Ctx) -> Response:
    """End the dashboard session this request carries (a token holder has none to end)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "session":
        revoke_session(ctx.config.state_dir, given.strip())
    return Response(status_code=204)
