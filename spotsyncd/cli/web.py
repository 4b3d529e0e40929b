"""``spotsyncd web``: print (and open) a one-time login link for the dashboard;
``spotsyncd web token [--rotate]``: the API's bearer token, for scripts."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from spotsyncd.cli.command import Command
from spotsyncd.cli.common import config_from

if TYPE_CHECKING:
    from spotsyncd.core.config import Config


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["token"], help="token: print the API token")
    parser.add_argument("--rotate", action="store_true", help="with 'token': make a new token")
    parser.add_argument("--no-browser", action="store_true", help="print the link only")


def _base_url(config: Config) -> tuple[str, str | None]:
    """The dashboard's address, and a warning when it is not being served right now. A daemon
    whose web is off (its port taken, say) gets no link: it would open another program's page."""
    from spotsyncd.core.errors import UserError
    from spotsyncd.engine.health.status import daemon_info, web_info

    running = daemon_info(config)["running"]
    web = web_info(config, running)
    if web["running"] and web["url"]:
        return str(web["url"]), None
    if running:
        raise UserError(f"the dashboard is off, so there is no link to give: {web['error']}")
    host, port = config.web.host, config.web.port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{port}"
    return url, "the daemon is not running: start it with 'spotsyncd run', then open the link"


def _open_privately(config: Config, url: str) -> None:
    """Open ``url`` in a browser without putting it on any command line (every local user can
    read ``/proc/PID/cmdline``, and the login code in it is a 30-day session): the browser is
    given a 0600 file in the state dir that forwards to the link, as Jupyter does."""
    import contextlib
    import html
    import webbrowser

    from spotsyncd.system.webauth import write_private

    page = config.state_dir / "web-open.html"
    text = (
        '<!doctype html><meta charset=utf-8><meta name="referrer" content="no-referrer">'
        f'<meta http-equiv="refresh" content="0;url={html.escape(url, quote=True)}">'
        f'<title>spotsyncd</title><a href="{html.escape(url, quote=True)}">open the dashboard</a>'
    )
    write_private(page, text)
    with contextlib.suppress(Exception):  # no browser is fine: the link is printed
        webbrowser.open(page.as_uri())


def cmd_web(args: argparse.Namespace) -> int:
    from spotsyncd.core.config import prepare_dirs
    from spotsyncd.core.errors import UserError
    from spotsyncd.system.webauth import load_or_create_token, new_login_code, rotate_token

    config = config_from(args)
    if not config.web.enabled:
        raise UserError("the web API is off (web.enabled: false in the config); turn it on first")
    prepare_dirs(config)
    if args.action == "token":
        token = (
            rotate_token(config.state_dir)
            if args.rotate
            else load_or_create_token(config.state_dir)
        )
        print(token)
        if args.rotate:
            print(
                "the old token, every logged-in browser and every unused login link are signed out",
                file=sys.stderr,
            )
        return 0
    if args.rotate:
        raise UserError("--rotate goes with 'spotsyncd web token --rotate'")
    load_or_create_token(config.state_dir)
    base, warning = _base_url(config)
    url = f"{base}/login?code={new_login_code(config.state_dir)}"
    print(url)
    print("a one-time link: it works once, within 10 minutes", file=sys.stderr)
    if warning:
        print(f"note: {warning}", file=sys.stderr)
    if not args.no_browser:
        _open_privately(config, url)
    return 0


WEB = Command(
    "web",
    "print a login link for the dashboard; 'web token' prints the API token",
    _arguments,
    cmd_web,
    exits={
        1: "the web API is off in the config or not being served (its port taken, say), or "
        "--rotate without 'token'"
    },
)
