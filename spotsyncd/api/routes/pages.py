"""The dashboard: ``/`` and its static files (shipped in the package: no CDN, no build step), and
``/login?code=``, where a one-time link from ``spotsyncd web`` becomes a session cookie."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from spotsyncd.api.context import SESSION_COOKIE, Ctx, caller
from spotsyncd.system.webauth import SESSION_TTL_S, consume_login_code, new_session

router = APIRouter(include_in_schema=False)

STATIC = Path(str(resources.files("spotsyncd.api") / "static"))
FILES = {"app.js": "text/javascript", "app.css": "text/css", "favicon.svg": "image/svg+xml"}


def _page(title: str, text: str, status: int, refresh: str | None = None) -> HTMLResponse:
    meta = f'<meta http-equiv="refresh" content="0;url={refresh}">' if refresh else ""
    link = f'<p><a href="{refresh}">Continue</a></p>' if refresh else ""
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<link rel="icon" href="data:,">'  # no /favicon.ico request from these small pages
        f"{meta}<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p>{link}"
        "</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _login_needed() -> HTMLResponse:
    return _page(
        "spotsyncd: log in",
        "Run <code>spotsyncd web</code> on the machine that runs spotsyncd: it prints a one-time "
        "login link (and opens it). Scripts send <code>Authorization: Bearer TOKEN</code> "
        "(<code>spotsyncd web token</code>).",
        401,
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request, ctx: Ctx) -> Response:
    if caller(request, ctx) is None:
        return _login_needed()
    return FileResponse(STATIC / "index.html", media_type="text/html",
                        headers={"Cache-Control": "no-store"})  # fmt: skip


@router.get("/static/{name}")
def static(name: str, request: Request, ctx: Ctx) -> Response:
    if caller(request, ctx) is None:
        return _login_needed()
    if name not in FILES:  # a fixed list: no name from the request ever becomes a path
        return _page("Not found", "No such file.", 404)
    return FileResponse(STATIC / name, media_type=FILES[name],
                        headers={"Cache-Control": "no-cache"})  # fmt: skip


@router.get("/login")
def login(
    request: Request,
    ctx: Ctx,
    code: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    if not consume_login_code(ctx.config.state_dir, code):
        return _page(
            "spotsyncd: this login link does not work",
            "It was used already or has expired (links last 10 minutes and work once). Run "
            "<code>spotsyncd web</code> for a new one.",
            401,
        )
    # A page that moves on by itself rather than a redirect: browsers treat a redirect at the end
    # of a link from elsewhere as cross-site and would hold back the SameSite=Strict cookie.
    response = _page("spotsyncd: logged in", "Opening the dashboard…", 200, refresh="/")
    response.set_cookie(
        SESSION_COOKIE,
        new_session(ctx.tokens.token()),
        max_age=SESSION_TTL_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response
