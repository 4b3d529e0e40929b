"""The dashboard: ``/`` and its static files (shipped in the package: no CDN, no build step), and
``/login?code=``, where a one-time link from ``spotsyncd web`` becomes a session.

The page and its files hold no secret and are served to anyone who passes the Host check; every
piece of data comes from the API, which needs a credential. The login page hands the new session
to the page's own script, which keeps it in ``localStorage`` (this origin only, port included)
and sends it as ``Authorization: Session …``; no cookie is ever set, since browsers share cookies
between every port of a host."""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from spotsyncd.api.context import Ctx
from spotsyncd.system.webauth import consume_login_code, new_session

router = APIRouter(include_in_schema=False)

STATIC = Path(str(resources.files("spotsyncd.api") / "static"))
FILES = {
    **{
        name: "text/javascript"
        for name in (
            "app.js",
            "api.js",
            "ui.js",
            "player.js",
            "activity.js",
            "library.js",
            "follows.js",
            "health.js",
            "settings.js",
            "track.js",
            "login.js",
        )
    },  # fmt: skip
    "app.css": "text/css",
    "favicon.svg": "image/svg+xml",
    "icon.svg": "image/svg+xml",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
    "manifest.webmanifest": "application/manifest+json",
}
# The dashboard's pages: each is the same file, whose script draws the page its URL names.
PAGES = ("/", "/activity", "/library", "/library/album/{album}", "/follows", "/follows/{name}",
         "/health", "/settings", "/track/{key:path}")  # fmt: skip
NO_STORE = {"Cache-Control": "no-store"}


def _page(title: str, text: str, status: int, head: str = "") -> HTMLResponse:
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<link rel="icon" href="data:,">'  # no /favicon.ico request from these small pages
        f"{head}<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    )
    return HTMLResponse(page, status_code=status, headers=NO_STORE)


def index() -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=NO_STORE)


for _path in PAGES:
    router.add_api_route(_path, index, methods=["GET"], response_class=HTMLResponse)


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in FILES:  # a fixed list: no name from the request ever becomes a path
        return _page("Not found", "No such file.", 404)
    return FileResponse(STATIC / name, media_type=FILES[name],
                        headers={"Cache-Control": "no-cache"})  # fmt: skip


@router.get("/login")
def login(ctx: Ctx, code: Annotated[str, Query(max_length=200)] = "") -> Response:
    if ctx.failed_logins.blocked():
        return _page(
            "spotsyncd: too many wrong login links",
            "Wait a minute, then run <code>spotsyncd web</code> for a new link.",
            429,
        )
    if not consume_login_code(ctx.config.state_dir, code):
        ctx.failed_logins.failed()
        return _page(
            "spotsyncd: this login link does not work",
            "It was used already or has expired (links last 10 minutes and work once). Run "
            "<code>spotsyncd web</code> for a new one.",
            401,
        )
    session = html.escape(new_session(ctx.tokens.token()), quote=True)
    return _page(
        "spotsyncd: logged in",
        'Opening the dashboard… (<a href="/">continue</a>)',
        200,
        head=f'<meta name="spotsyncd-session" content="{session}">'
        '<script src="/static/login.js"></script>',
    )
